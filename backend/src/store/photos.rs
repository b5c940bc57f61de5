//! A driveway's photo gallery: one row per photo (its place and its files' keys), and the
//! driveway's `photos` column, the gallery as its answers carry it, rewritten in the same
//! transaction. The rules (how many, what a new order must be) are `parkway_core::photo`'s.

use super::Store;
use super::db::{Tx, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::photo::{Photo, check_order, check_room};
use uuid::Uuid;

/// A photo's files, already stored.
#[derive(Debug, Clone)]
pub struct StoredFiles {
    /// Key of the photo.
    pub photo_key: String,
    /// Key of its thumbnail.
    pub thumb_key: String,
    /// Width of the photo.
    pub width: u32,
    /// Height of the photo.
    pub height: u32,
}

#[derive(sqlx::FromRow)]
struct PhotoRow {
    id: String,
    photo_key: String,
    thumb_key: String,
    width: i64,
    height: i64,
}

impl TryFrom<PhotoRow> for Photo {
    type Error = sqlx::Error;
    fn try_from(r: PhotoRow) -> Result<Photo, sqlx::Error> {
        Ok(Photo {
            id: uuid(&r.id)?,
            url: media_url(&r.photo_key),
            thumb_url: media_url(&r.thumb_key),
            width: u32::try_from(r.width).unwrap_or(0),
            height: u32::try_from(r.height).unwrap_or(0),
        })
    }
}

/// Where the server serves a stored file.
pub fn media_url(key: &str) -> String {
    format!("/media/{key}")
}

/// The owner's live driveway, its row locked until `tx` ends (one gallery change at a time);
/// someone else's answers 404.
async fn own_driveway_in(tx: &mut Tx<'_>, owner: Uuid, driveway: Uuid) -> AppResult<()> {
    let lock = tx.engine().for_update();
    let found = tx
        .scalar_optional::<i64>(
            query(format!("SELECT seq FROM driveways WHERE id = ? AND owner_id = ? AND deleted_at IS NULL{lock}"))
                .bind(driveway)
                .bind(owner),
        )
        .await?;
    found.map(|_| ()).ok_or_else(|| AppError::not_found("driveway"))
}

async fn gallery_in(tx: &mut Tx<'_>, driveway: Uuid) -> AppResult<Vec<Photo>> {
    let rows: Vec<PhotoRow> = tx
        .fetch_all(
            query(
                "SELECT id, photo_key, thumb_key, width, height FROM driveway_photos WHERE driveway_id = ? \
                 ORDER BY position, created_at",
            )
            .bind(driveway),
        )
        .await?;
    Ok(rows.into_iter().map(Photo::try_from).collect::<Result<_, _>>()?)
}

/// Writes the gallery the driveway's answers carry, from its rows.
async fn publish_in(tx: &mut Tx<'_>, driveway: Uuid, now: DateTime<Utc>) -> AppResult<Vec<Photo>> {
    let photos = gallery_in(tx, driveway).await?;
    let json = serde_json::to_string(&photos).map_err(anyhow::Error::from)?;
    tx.execute(
        query("UPDATE driveways SET photos = ?, updated_at = ? WHERE id = ?")
            .bind(json)
            .bind(to_ms(now))
            .bind(driveway),
    )
    .await?;
    Ok(photos)
}

/// Of `keys`, those no photo uses any more (their files may go).
async fn unused_in(tx: &mut Tx<'_>, keys: Vec<String>) -> AppResult<Vec<String>> {
    let mut unused = Vec::new();
    for key in keys {
        let users: i64 = tx
            .scalar(
                query("SELECT COUNT(*) FROM driveway_photos WHERE photo_key = ? OR thumb_key = ?")
                    .bind(&key)
                    .bind(&key),
            )
            .await?;
        if users == 0 {
            unused.push(key);
        }
    }
    Ok(unused)
}

/// Removes every photo of `driveway` (it is being deleted); answers the keys whose files may go.
pub(crate) async fn remove_all_in(tx: &mut Tx<'_>, driveway: Uuid, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    let keys: Vec<(String, String)> = tx
        .fetch_all(query("SELECT photo_key, thumb_key FROM driveway_photos WHERE driveway_id = ?").bind(driveway))
        .await?;
    tx.execute(query("DELETE FROM driveway_photos WHERE driveway_id = ?").bind(driveway)).await?;
    publish_in(tx, driveway, now).await?;
    unused_in(tx, keys.into_iter().flat_map(|(p, t)| [p, t]).collect()).await
}

impl Store {
    /// Checks, before an upload is decoded, that `driveway` is the owner's and has room.
    pub async fn check_photo_room(&self, owner: Uuid, driveway: Uuid) -> AppResult<()> {
        let count: Option<i64> = self
            .reader()
            .scalar_optional(
                query(
                    "SELECT (SELECT COUNT(*) FROM driveway_photos p WHERE p.driveway_id = d.id) FROM driveways d \
                     WHERE d.id = ? AND d.owner_id = ? AND d.deleted_at IS NULL",
                )
                .bind(driveway)
                .bind(owner),
            )
            .await?;
        let count = count.ok_or_else(|| AppError::not_found("driveway"))?;
        check_room(usize::try_from(count).unwrap_or(usize::MAX)).map_err(|e| AppError::validation(e.to_string()))
    }

    /// Adds a photo at the end of the owner's driveway's gallery.
    pub async fn add_photo(
        &self,
        owner: Uuid,
        driveway: Uuid,
        files: &StoredFiles,
        now: DateTime<Utc>,
    ) -> AppResult<Photo> {
        let mut tx = self.begin_write().await?;
        own_driveway_in(&mut tx, owner, driveway).await?;
        let count = gallery_in(&mut tx, driveway).await?.len();
        check_room(count).map_err(|e| AppError::validation(e.to_string()))?;
        let id = Uuid::new_v4();
        tx.execute(
            query(
                "INSERT INTO driveway_photos (id, driveway_id, position, photo_key, thumb_key, width, height, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(driveway)
            .bind(i64::try_from(count).unwrap_or(i64::MAX))
            .bind(&files.photo_key)
            .bind(&files.thumb_key)
            .bind(i64::from(files.width))
            .bind(i64::from(files.height))
            .bind(to_ms(now)),
        )
        .await?;
        let photos = publish_in(&mut tx, driveway, now).await?;
        tx.commit().await?;
        photos.into_iter().find(|p| p.id == id).ok_or_else(|| AppError::Internal(anyhow::anyhow!("photo vanished")))
    }

    /// Puts the gallery in the order given (every photo once).
    pub async fn order_photos(
        &self,
        owner: Uuid,
        driveway: Uuid,
        order: &[Uuid],
        now: DateTime<Utc>,
    ) -> AppResult<Vec<Photo>> {
        let mut tx = self.begin_write().await?;
        own_driveway_in(&mut tx, owner, driveway).await?;
        let current: Vec<Uuid> = gallery_in(&mut tx, driveway).await?.into_iter().map(|p| p.id).collect();
        check_order(&current, order).map_err(|e| AppError::validation(e.to_string()))?;
        for (position, id) in order.iter().enumerate() {
            tx.execute(
                query("UPDATE driveway_photos SET position = ? WHERE id = ?")
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(*id),
            )
            .await?;
        }
        let photos = publish_in(&mut tx, driveway, now).await?;
        tx.commit().await?;
        Ok(photos)
    }

    /// Removes a photo; answers the keys whose files no photo uses any more.
    pub async fn delete_photo(
        &self,
        owner: Uuid,
        driveway: Uuid,
        photo: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        own_driveway_in(&mut tx, owner, driveway).await?;
        let keys: Option<(String, String)> = tx
            .fetch_optional(
                query("SELECT photo_key, thumb_key FROM driveway_photos WHERE id = ? AND driveway_id = ?")
                    .bind(photo)
                    .bind(driveway),
            )
            .await?;
        let (photo_key, thumb_key) = keys.ok_or_else(|| AppError::not_found("photo"))?;
        tx.execute(query("DELETE FROM driveway_photos WHERE id = ?").bind(photo)).await?;
        publish_in(&mut tx, driveway, now).await?;
        let unused = unused_in(&mut tx, vec![photo_key, thumb_key]).await?;
        tx.commit().await?;
        Ok(unused)
    }

    /// Of `keys` (files just stored for an upload that was then refused), those no photo uses.
    pub async fn unused_media(&self, keys: Vec<String>) -> AppResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let unused = unused_in(&mut tx, keys).await?;
        tx.commit().await?;
        Ok(unused)
    }
}
