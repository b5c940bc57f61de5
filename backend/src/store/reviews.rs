//! Reviews of completed stays. A review and its driveway's star totals are written in one
//! transaction, so a driveway's rating always adds up to its reviews. The rules are
//! `parkway_core::review`'s; this module asks them and writes.

use super::Store;
use super::db::{Tx, from_ms, query, to_ms, uuid};
use super::rows::booking_in;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::review::{
    MAX_PAGE, Rating, Review, author_name, check_answerable, check_editable, check_reviewable, editable_until,
};
use uuid::Uuid;

/// A review's stars and words, already checked at the edge.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    /// Stars.
    pub rating: Rating,
    /// Words, if any.
    pub text: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    booking_id: String,
    driveway_id: String,
    driver_id: String,
    owner_id: String,
    rating: i64,
    text: Option<String>,
    author: String,
    reply: Option<String>,
    replied_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ReviewRow> for Review {
    type Error = sqlx::Error;
    fn try_from(r: ReviewRow) -> Result<Review, sqlx::Error> {
        let created_at = from_ms(r.created_at);
        Ok(Review {
            booking_id: uuid(&r.booking_id)?,
            driveway_id: uuid(&r.driveway_id)?,
            rating: Rating::try_from(r.rating).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            text: r.text,
            author_name: author_name(&r.author),
            reply: r.reply,
            replied_at: r.replied_at.map(from_ms),
            created_at,
            updated_at: from_ms(r.updated_at),
            editable_until: editable_until(created_at),
        })
    }
}

const SELECT_REVIEW: &str = "SELECT r.booking_id, r.driveway_id, r.driver_id, r.owner_id, r.rating, r.text, \
    u.name AS author, r.reply, r.replied_at, r.created_at, r.updated_at FROM reviews r JOIN users u ON u.id = r.driver_id";

/// The review of `booking` inside `tx`, its row locked against other writers (on PostgreSQL;
/// SQLite's write lock covers it), with its driver and its owner.
async fn review_in(tx: &mut Tx<'_>, booking: &str) -> AppResult<Option<(Review, String, String)>> {
    let lock = tx.engine().for_update();
    tx.execute(query(format!("SELECT booking_id FROM reviews WHERE booking_id = ?{lock}")).bind(booking)).await?;
    let Some(row) =
        tx.fetch_optional::<ReviewRow>(query(format!("{SELECT_REVIEW} WHERE r.booking_id = ?")).bind(booking)).await?
    else {
        return Ok(None);
    };
    let (driver, owner) = (row.driver_id.clone(), row.owner_id.clone());
    Ok(Some((Review::try_from(row)?, driver, owner)))
}

/// Adds `delta` stars and `count` reviews to a driveway's totals.
async fn add_stars(tx: &mut Tx<'_>, driveway: Uuid, delta: i64, count: i64) -> AppResult<()> {
    tx.execute(
        query("UPDATE driveways SET rating_sum = rating_sum + ?, rating_count = rating_count + ? WHERE id = ?")
            .bind(delta)
            .bind(count)
            .bind(driveway),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The driver reviews a completed stay (the id may be any part of it), once.
    pub async fn post_review(
        &self,
        driver: Uuid,
        id: Uuid,
        input: ReviewInput,
        now: DateTime<Utc>,
    ) -> AppResult<Review> {
        let mut tx = self.begin_write().await?;
        let (asked, owner) =
            booking_in(&mut tx, &id.to_string()).await?.ok_or_else(|| AppError::not_found("booking"))?;
        if asked.driver != driver {
            return Err(AppError::not_found("booking"));
        }
        // An extension's review is its stay's (read only when asked for by an extension's id).
        let (booking, owner) = match asked.extension_of {
            None => (asked, owner),
            Some(first) => {
                booking_in(&mut tx, &first.to_string()).await?.ok_or_else(|| AppError::not_found("booking"))?
            }
        };
        let ids = booking.id.to_string();
        let already = review_in(&mut tx, &ids).await?.is_some();
        check_reviewable(booking.status, already)?;
        tx.execute(
            query(
                "INSERT INTO reviews (booking_id, driveway_id, driver_id, owner_id, rating, text, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&ids)
            .bind(booking.driveway)
            .bind(driver)
            .bind(&owner)
            .bind(i64::from(input.rating))
            .bind(input.text)
            .bind(to_ms(now))
            .bind(to_ms(now)),
        )
        .await?;
        add_stars(&mut tx, booking.driveway, i64::from(input.rating), 1).await?;
        let (review, _, _) = review_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("review"))?;
        tx.commit().await?;
        Ok(review)
    }

    /// The driver changes their review while it may still be edited.
    pub async fn edit_review(
        &self,
        driver: Uuid,
        id: Uuid,
        input: ReviewInput,
        now: DateTime<Utc>,
    ) -> AppResult<Review> {
        let mut tx = self.begin_write().await?;
        let ids = self.stay_of(id).await?;
        let (old, _, _) = review_in(&mut tx, &ids)
            .await?
            .filter(|(_, author, _)| *author == driver.to_string())
            .ok_or_else(|| AppError::not_found("review"))?;
        check_editable(old.created_at, now)?;
        tx.execute(
            query("UPDATE reviews SET rating = ?, text = ?, updated_at = ? WHERE booking_id = ?")
                .bind(i64::from(input.rating))
                .bind(input.text)
                .bind(to_ms(now))
                .bind(&ids),
        )
        .await?;
        add_stars(&mut tx, old.driveway_id, i64::from(input.rating) - i64::from(old.rating), 0).await?;
        let (review, _, _) = review_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("review"))?;
        tx.commit().await?;
        Ok(review)
    }

    /// The owner answers a review of a stay on their driveway, once.
    pub async fn reply_to_review(&self, owner: Uuid, id: Uuid, text: String, now: DateTime<Utc>) -> AppResult<Review> {
        let mut tx = self.begin_write().await?;
        let ids = self.stay_of(id).await?;
        let (review, _, _) = review_in(&mut tx, &ids)
            .await?
            .filter(|(_, _, of)| *of == owner.to_string())
            .ok_or_else(|| AppError::not_found("review"))?;
        check_answerable(review.reply.is_some())?;
        tx.execute(
            query("UPDATE reviews SET reply = ?, replied_at = ? WHERE booking_id = ?")
                .bind(text)
                .bind(to_ms(now))
                .bind(&ids),
        )
        .await?;
        let (review, _, _) = review_in(&mut tx, &ids).await?.ok_or_else(|| AppError::not_found("review"))?;
        tx.commit().await?;
        Ok(review)
    }

    /// The review of a stay, for its driver or its owner (404 for anyone else, or when there is
    /// none yet).
    pub async fn review_for(&self, user: Uuid, id: Uuid) -> AppResult<Review> {
        let ids = self.stay_of(id).await?;
        let row: Option<ReviewRow> = self
            .reader()
            .fetch_optional(
                query(format!("{SELECT_REVIEW} WHERE r.booking_id = ? AND (r.driver_id = ? OR r.owner_id = ?)"))
                    .bind(&ids)
                    .bind(user)
                    .bind(user),
            )
            .await?;
        row.map(Review::try_from).transpose()?.ok_or_else(|| AppError::not_found("review"))
    }

    /// A driveway's reviews, newest first.
    pub async fn reviews_of(&self, driveway: Uuid, limit: i64, offset: i64) -> AppResult<Vec<Review>> {
        let rows: Vec<ReviewRow> = self
            .reader()
            .fetch_all(
                query(format!(
                    "{SELECT_REVIEW} WHERE r.driveway_id = ? ORDER BY r.created_at DESC, r.booking_id LIMIT ? OFFSET ?"
                ))
                .bind(driveway)
                .bind(limit.clamp(1, MAX_PAGE))
                .bind(offset.max(0)),
            )
            .await?;
        Ok(rows.into_iter().map(Review::try_from).collect::<Result<_, _>>()?)
    }

    /// The first booking of the stay `id` belongs to (itself unless it is an extension).
    async fn stay_of(&self, id: Uuid) -> AppResult<String> {
        let first: Option<Option<String>> =
            self.reader().scalar_optional(query("SELECT extension_of FROM bookings WHERE id = ?").bind(id)).await?;
        Ok(first.flatten().unwrap_or_else(|| id.to_string()))
    }
}
