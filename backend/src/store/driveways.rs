use super::db::{Engine, from_ms, query, to_ms, uuid};
use super::{Store, locks};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::api::Driveway;
use parkway_core::availability::WeeklySchedule;
use parkway_core::booking::BookingStatus;
use parkway_core::geo::{BoundingBox, Point};
use parkway_core::money::{Cents, Currency};
use parkway_core::pricing::Rate;
use parkway_core::review::{Rating, RatingSummary};
use parkway_core::slot::{self, TimeSlot};
use parkway_core::trust;
use uuid::Uuid;

/// A driveway's fields after validation: what the store writes.
#[derive(Debug, Clone)]
pub struct DrivewayFields {
    /// Title.
    pub title: String,
    /// Address.
    pub address: String,
    /// Position.
    pub point: Point,
    /// Prices.
    pub rate: Rate,
    /// Currency.
    pub currency: Currency,
    /// IANA zone name, already checked.
    pub timezone: String,
    /// Instant book.
    pub instant_book: bool,
    /// Instructions for drivers with a confirmed booking.
    pub access_instructions: Option<String>,
    /// Opening hours.
    pub availability: WeeklySchedule,
}

impl DrivewayFields {
    /// Binds the stored columns in the order both INSERT and UPDATE list them: title, address,
    /// lat, lng, prices, currency, timezone, instant book, instructions, availability.
    fn bind_columns(&self, q: super::db::Query) -> AppResult<super::db::Query> {
        Ok(q.bind(&self.title)
            .bind(&self.address)
            .bind(self.point.lat())
            .bind(self.point.lng())
            .bind(self.rate.per_hour.0)
            .bind(self.rate.per_day.map(|c| c.0))
            .bind(self.currency.as_str())
            .bind(&self.timezone)
            .bind(self.instant_book)
            .bind(&self.access_instructions)
            .bind(serde_json::to_string(&self.availability).map_err(anyhow::Error::from)?))
    }
}

#[derive(sqlx::FromRow)]
struct DrivewayRow {
    id: String,
    owner_id: String,
    title: String,
    address: String,
    lat: f64,
    lng: f64,
    price_per_hour_cents: i64,
    price_per_day_cents: Option<i64>,
    currency: String,
    timezone: String,
    instant_book: bool,
    access_instructions: Option<String>,
    availability: String,
    rating_sum: i64,
    rating_count: i64,
    photos: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<DrivewayRow> for Driveway {
    type Error = sqlx::Error;
    fn try_from(r: DrivewayRow) -> Result<Driveway, sqlx::Error> {
        let decode = |e: Box<dyn std::error::Error + Send + Sync>| sqlx::Error::Decode(e);
        Ok(Driveway {
            id: uuid(&r.id)?,
            owner: uuid(&r.owner_id)?,
            title: r.title,
            address: r.address,
            lat: r.lat,
            lng: r.lng,
            price_per_hour_cents: Cents(r.price_per_hour_cents),
            price_per_day_cents: r.price_per_day_cents.map(Cents),
            currency: Currency::parse(&r.currency).map_err(|e| decode(Box::new(e)))?,
            timezone: r.timezone,
            instant_book: r.instant_book,
            access_instructions: r.access_instructions,
            availability: serde_json::from_str(&r.availability).map_err(|e| decode(Box::new(e)))?,
            rating: RatingSummary::of(r.rating_sum, r.rating_count),
            photos: serde_json::from_str(&r.photos).map_err(|e| decode(Box::new(e)))?,
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        })
    }
}

const COLUMNS: &str = "d.id, d.owner_id, d.title, d.address, d.lat, d.lng, d.price_per_hour_cents, \
    d.price_per_day_cents, d.currency, d.timezone, d.instant_book, d.access_instructions, d.availability, \
    d.rating_sum, d.rating_count, d.photos, d.created_at, d.updated_at";

/// What a search asks for, already validated.
#[derive(Debug, Clone)]
pub struct SearchFilter {
    /// Only driveways inside this box are considered.
    pub bbox: BoundingBox,
    /// Results are sorted by distance from here.
    pub center: Point,
    /// For radius searches: the radius in metres.
    pub radius_m: Option<f64>,
    /// Only driveways with no active booking overlapping this slot.
    pub free_during: Option<TimeSlot>,
    /// Only driveways at or below this hourly price.
    pub max_price_per_hour: Option<i64>,
    /// Only driveways whose reviews average at least this many stars.
    pub min_rating: Option<Rating>,
}

/// Most positions one search reads from the spatial index; in a denser area the answer says
/// `truncated` and the client zooms in.
pub const CANDIDATE_BUDGET: usize = 20_000;
/// Most full rows one search checks against its filters (free slot, opening hours).
pub const EXAMINE_BUDGET: usize = 2_000;

/// What a search found, and whether it stopped at a budget before seeing everything.
#[derive(Debug, Clone)]
pub struct Found {
    /// Nearest first.
    pub items: Vec<Candidate>,
    /// True when a budget cut the search short.
    pub truncated: bool,
}

/// A search candidate: near enough and free of bookings; opening hours are checked by the
/// caller with `core`.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The driveway.
    pub driveway: Driveway,
    /// Metres from the search centre.
    pub distance_m: f64,
}

impl Store {
    /// Adds a driveway for `owner`.
    pub async fn create_driveway(&self, owner: Uuid, f: &DrivewayFields, now: DateTime<Utc>) -> AppResult<Driveway> {
        let id = Uuid::new_v4();
        let mut tx = self.begin_write().await?;
        tx.execute(
            f.bind_columns(
                query(
                    "INSERT INTO driveways (id, owner_id, title, address, lat, lng, price_per_hour_cents, \
                 price_per_day_cents, currency, timezone, instant_book, access_instructions, availability, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(owner),
            )?
            .bind(to_ms(now))
            .bind(to_ms(now)),
        )
        .await?;
        tx.commit().await?;
        self.driveway_edited();
        self.driveway(id).await?.ok_or_else(|| AppError::not_found("driveway"))
    }

    /// A live (not deleted) driveway.
    pub async fn driveway(&self, id: Uuid) -> AppResult<Option<Driveway>> {
        let row: Option<DrivewayRow> = self
            .reader()
            .fetch_optional(
                query(format!("SELECT {COLUMNS} FROM driveways d WHERE d.id = ? AND d.deleted_at IS NULL")).bind(id),
            )
            .await?;
        Ok(row.map(Driveway::try_from).transpose()?)
    }

    /// Replaces the fields of `owner`'s driveway; 404 when it is not theirs.
    pub async fn update_driveway(
        &self,
        owner: Uuid,
        id: Uuid,
        f: &DrivewayFields,
        now: DateTime<Utc>,
    ) -> AppResult<Driveway> {
        let mut tx = self.begin_write().await?;
        let done = tx
            .execute(
                f.bind_columns(query(
                    "UPDATE driveways SET title = ?, address = ?, lat = ?, lng = ?, price_per_hour_cents = ?, \
                     price_per_day_cents = ?, currency = ?, timezone = ?, instant_book = ?, access_instructions = ?, \
                     availability = ?, updated_at = ? WHERE id = ? AND owner_id = ? AND deleted_at IS NULL",
                ))?
                .bind(to_ms(now))
                .bind(id)
                .bind(owner),
            )
            .await?;
        if done == 0 {
            return Err(AppError::not_found("driveway"));
        }
        tx.commit().await?;
        self.driveway_edited();
        self.driveway(id).await?.ok_or_else(|| AppError::not_found("driveway"))
    }

    /// Removes `owner`'s driveway from listings. Refused while future bookings hold it.
    /// Answers the keys of photo files no driveway uses any more, for the caller to remove.
    pub async fn delete_driveway(&self, owner: Uuid, id: Uuid, now: DateTime<Utc>) -> AppResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let lock = tx.engine().for_update();
        let mine =
            query(format!("SELECT seq FROM driveways WHERE id = ? AND owner_id = ? AND deleted_at IS NULL{lock}"))
                .bind(id)
                .bind(owner);
        // Only the owner's request may wait on the driveway's bookings: someone else's answers 404
        // before it could hold them up.
        if tx.scalar_optional::<i64>(mine.clone()).await?.is_none() {
            return Err(AppError::not_found("driveway"));
        }
        // No booking of it can be made or moved while this decides: they share this lock. Read
        // again once it is held, in case the driveway went meanwhile.
        locks::exclusive(&mut tx, locks::Subject::Driveway(id)).await?;
        if tx.engine() == Engine::Postgres && tx.scalar_optional::<i64>(mine).await?.is_none() {
            return Err(AppError::not_found("driveway"));
        }
        let upcoming: i64 = tx
            .scalar(
                query(format!(
                    "SELECT COUNT(*) FROM bookings WHERE driveway_id = ? AND status IN ('pending', 'confirmed') AND {}",
                    tx.engine().meets("")
                ))
                .bind(id)
                .bind(to_ms(now))
                .bind(i64::MAX),
            )
            .await?;
        if upcoming > 0 {
            return Err(AppError::invalid_transition(format!(
                "this driveway has {upcoming} upcoming booking(s); cancel them before deleting it"
            )));
        }
        tx.execute(
            query("UPDATE driveways SET deleted_at = ?, updated_at = ? WHERE id = ?")
                .bind(to_ms(now))
                .bind(to_ms(now))
                .bind(id),
        )
        .await?;
        let unused = super::photos::remove_all_in(&mut tx, id, now).await?;
        tx.commit().await?;
        self.driveway_edited();
        Ok(unused)
    }

    /// The owner's live driveways, newest first.
    pub async fn driveways_of(&self, owner: Uuid) -> AppResult<Vec<Driveway>> {
        let rows: Vec<DrivewayRow> = self
            .reader()
            .fetch_all(
                query(format!(
                    "SELECT {COLUMNS} FROM driveways d WHERE d.owner_id = ? AND d.deleted_at IS NULL \
                     ORDER BY d.created_at DESC"
                ))
                .bind(owner),
            )
            .await?;
        Ok(rows.into_iter().map(Driveway::try_from).collect::<Result<_, _>>()?)
    }

    /// Slots held by active bookings of a driveway that meet `[from, to)`.
    pub async fn busy(&self, driveway: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<Vec<TimeSlot>> {
        // Bookings meeting the window do not overlap and last at least the minimum, so no more
        // than this many fit in it (plus one at each edge).
        let minutes = (to - from).num_minutes().max(0) as usize;
        let most = minutes / slot::MIN_DURATION_MINUTES as usize + 2;
        let reader = self.reader();
        let window = TimeSlot::new(from, to)?;
        let meeting = reader.engine().meeting_slot("start_at, end_at", &driveway.to_string(), &window, None, most);
        let rows: Vec<(i64, i64)> = reader.fetch_all(meeting).await?;
        Ok(rows.into_iter().filter_map(|(s, e)| TimeSlot::new(from_ms(s), from_ms(e)).ok()).collect())
    }

    /// True when `user` holds a confirmed booking of the driveway whose access instructions
    /// are showing now (the rule is `core::trust::instructions_visible`).
    pub async fn instructions_visible(&self, user: Uuid, driveway: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
        // Only bookings that have not ended and start within the lead time can qualify.
        let lead = chrono::Duration::minutes(trust::INSTRUCTIONS_LEAD_MINUTES);
        let rows: Vec<(i64, i64)> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT start_at, end_at FROM bookings WHERE driver_id = ? AND driveway_id = ? \
                     AND status = 'confirmed' AND end_at > ? AND start_at <= ? LIMIT 10",
                )
                .bind(user)
                .bind(driveway)
                .bind(to_ms(now))
                .bind(to_ms(now + lead)),
            )
            .await?;
        Ok(rows
            .into_iter()
            .any(|(s, e)| trust::instructions_visible(BookingStatus::Confirmed, from_ms(s), from_ms(e), now)))
    }

    /// Up to `limit` live driveways whose title and address hold a word starting with each of
    /// `words` (folded ASCII): `(title, address, lat, lng)`, for place search.
    pub async fn driveways_matching(&self, words: &[&str], limit: usize) -> AppResult<Vec<(String, String, f64, f64)>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self.reader().fetch_all(self.engine().driveways_matching(words, limit)).await?)
    }

    /// Driveways inside the filter's box, nearest first, with at most `limit` results after
    /// `keep` (the caller's opening-hours check) accepts them.
    ///
    /// Two passes keep a dense area cheap: positions only, straight from the spatial index
    /// (SQLite's R*Tree, single-precision, so within about a metre; PostgreSQL's GiST over a
    /// point), with their prices when a price filter is asked for, sorted by distance; then full
    /// rows, with the free-slot filter, for the nearest candidates in chunks until `limit` are
    /// kept. Both passes stop at a budget ([`CANDIDATE_BUDGET`], [`EXAMINE_BUDGET`]), so no
    /// request's work grows with the number of driveways. The budget counts the index's rows
    /// before the price filter: counted after it, a price nobody asks left the index to be read
    /// to the end (2.5 s for the widest box over a million driveways).
    pub async fn search(
        &self,
        filter: &SearchFilter,
        limit: usize,
        keep: impl Fn(&Driveway) -> bool,
    ) -> AppResult<Found> {
        let b = &filter.bbox;
        let priced = filter.max_price_per_hour.is_some();
        let budget = i64::try_from(CANDIDATE_BUDGET + 1).unwrap_or(i64::MAX);
        let in_box = self.engine().driveways_in_box(b, priced, budget);
        let mut points: Vec<(i64, f64, f64, Option<i64>)> = self.reader().fetch_all(in_box).await?;
        let mut truncated = points.len() > CANDIDATE_BUDGET;
        points.truncate(CANDIDATE_BUDGET);
        if let Some(max) = filter.max_price_per_hour {
            points.retain(|&(_, _, _, price)| price.is_some_and(|p| p <= max));
        }
        // SQLite's index coordinates are rounded outwards by up to about a metre; the exact
        // distance decides below.
        const SLACK_M: f64 = 5.0;
        let mut near: Vec<(f64, i64)> = points
            .into_iter()
            .filter_map(|(seq, lat, lng, _)| {
                let d = Point::new(lat.clamp(-90.0, 90.0), lng.clamp(-180.0, 180.0)).ok()?.distance_m(&filter.center);
                match filter.radius_m {
                    Some(r) if d > r + SLACK_M => None,
                    _ => Some((d, seq)),
                }
            })
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));

        let mut out: Vec<Candidate> = Vec::with_capacity(limit.min(near.len()));
        let examined = near.len().min(EXAMINE_BUDGET);
        for chunk in near[..examined].chunks((limit.max(1) * 2).max(100)) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let mut sql = format!(
                "SELECT d.seq, {COLUMNS} FROM driveways d WHERE d.deleted_at IS NULL AND d.seq IN ({placeholders})"
            );
            if filter.max_price_per_hour.is_some() {
                sql.push_str(" AND d.price_per_hour_cents <= ?");
            }
            if filter.min_rating.is_some() {
                sql.push_str(" AND d.rating_count > 0 AND d.rating_sum >= ? * d.rating_count");
            }
            let mut free_args = Vec::new();
            if let Some(slot) = &filter.free_during {
                self.engine().free_during(&mut sql, &mut free_args, slot);
            }
            let mut q = query(sql);
            for (_, seq) in chunk {
                q = q.bind(*seq);
            }
            if let Some(max) = filter.max_price_per_hour {
                q = q.bind(max);
            }
            if let Some(min) = filter.min_rating {
                q = q.bind(i64::from(min));
            }
            for arg in free_args {
                q = q.bind(arg);
            }
            let rows: Vec<SeqRow> = self.reader().fetch_all(q).await?;
            let mut by_seq: std::collections::HashMap<i64, DrivewayRow> =
                rows.into_iter().map(|r| (r.seq, r.row)).collect();
            for (_, seq) in chunk {
                let Some(row) = by_seq.remove(seq) else { continue };
                let driveway = Driveway::try_from(row)?;
                let exact =
                    Point::new(driveway.lat, driveway.lng).map(|p| p.distance_m(&filter.center)).unwrap_or(f64::MAX);
                let inside = match filter.radius_m {
                    Some(r) => exact <= r,
                    None => filter.bbox.contains(&Point::new(driveway.lat, driveway.lng)?),
                };
                if inside && keep(&driveway) {
                    out.push(Candidate { driveway, distance_m: exact });
                }
            }
            if out.len() >= limit {
                break;
            }
        }
        truncated |= out.len() < limit && examined < near.len();
        out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        out.truncate(limit);
        Ok(Found { items: out, truncated })
    }
}

#[derive(sqlx::FromRow)]
struct SeqRow {
    seq: i64,
    #[sqlx(flatten)]
    row: DrivewayRow,
}
