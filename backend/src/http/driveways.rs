use super::extract::{AuthUser, Json, MaybeUser, Path, Query};
use crate::auth::Claims;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::driveways::{DrivewayFields, SearchFilter};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use parkway_core::api::{Busy, Driveway, DrivewayPatch, Items, NewDriveway, Quote, Role, SearchItem, SearchPage};
use parkway_core::availability::parse_timezone;
use parkway_core::geo::{BoundingBox, Point};
use parkway_core::money::{Cents, Currency};
use parkway_core::pricing::Rate;
use parkway_core::review::Rating;
use parkway_core::slot::{self, MAX_DURATION_DAYS, SlotError, TimeSlot};
use parkway_core::text::{self, limits};
use serde::Deserialize;
use uuid::Uuid;

/// Default search radius.
pub const DEFAULT_RADIUS_M: f64 = 2000.0;
/// Largest search radius.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Default and largest number of search results.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest number of search results.
pub const MAX_LIMIT: usize = 500;
/// Largest availability window one request may ask for.
const MAX_AVAILABILITY_DAYS: i64 = 92;

/// `/api/driveways/*` and `/api/me/driveways`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/driveways", get(search).post(create))
        .route("/driveways/{id}", get(detail).put(update).delete(remove))
        .route("/driveways/{id}/availability", get(availability))
        .route("/driveways/{id}/quote", get(quote))
        .route("/me/driveways", get(mine))
}

fn price(field: &str, cents: i64) -> AppResult<Cents> {
    if cents <= 0 {
        return Err(AppError::validation(format!("{field} must be a positive whole number of cents")));
    }
    if cents > 100_000_000 {
        return Err(AppError::validation(format!("{field} must be at most 100000000")));
    }
    Ok(Cents(cents))
}

/// Turns the fields of a new or patched driveway into checked values. A driveway given
/// without a position is looked up by its address; one given without a time zone gets the
/// zone at its position.
async fn fields(state: &AppState, d: NewDriveway) -> AppResult<DrivewayFields> {
    // Everything that needs no lookup is checked first: a bad price costs no geocoder request.
    let title = text::required("title", &d.title, limits::TITLE)?;
    let address = text::required("address", &d.address, limits::ADDRESS)?;
    let rate = Rate {
        per_hour: price("pricePerHourCents", d.price_per_hour_cents)?,
        per_day: d.price_per_day_cents.map(|c| price("pricePerDayCents", c)).transpose()?,
    };
    let currency = match d.currency {
        Some(c) => Currency::parse(&c).map_err(|e| AppError::validation(e.to_string()))?,
        None => Currency::usd(),
    };
    let access_instructions =
        text::optional("accessInstructions", d.access_instructions.as_deref(), limits::ACCESS_INSTRUCTIONS)?;
    if let Some(zone) = &d.timezone {
        parse_timezone(zone)?;
    }
    let point = match (d.lat, d.lng) {
        (Some(lat), Some(lng)) => Point::new(lat, lng)?,
        (None, None) => state.places.locate(&address).await.ok_or_else(|| {
            AppError::validation("this address could not be found: place a pin on the map (give lat and lng)")
        })?,
        _ => return Err(AppError::validation("give both lat and lng, or neither to look the address up")),
    };
    let timezone = match d.timezone {
        Some(zone) => zone,
        None => state.places.time_zone(point).await,
    };
    Ok(DrivewayFields {
        title,
        address,
        point,
        rate,
        currency,
        timezone,
        instant_book: d.instant_book.unwrap_or(false),
        access_instructions,
        availability: d.availability.unwrap_or_default(),
    })
}

/// What a viewer may see: access instructions only for the owner and for drivers whose
/// confirmed booking is about to start or running.
async fn visible(state: &AppState, mut d: Driveway, viewer: Option<&Claims>) -> AppResult<Driveway> {
    let allowed = match viewer {
        Some(c) if c.sub == d.owner => true,
        Some(c) => {
            d.access_instructions.is_some() && state.store.instructions_visible(c.sub, d.id, state.clock.now()).await?
        }
        None => false,
    };
    if !allowed {
        d.access_instructions = None;
    }
    Ok(d)
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewDriveway>,
) -> AppResult<(StatusCode, Json<Driveway>)> {
    user.require(Role::Owner)?;
    let f = fields(&state, body).await?;
    let d = state.store.create_driveway(user.id(), &f, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

async fn detail(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Driveway>> {
    let d = state.store.driveway(id).await?.ok_or_else(|| AppError::not_found("driveway"))?;
    Ok(Json(visible(&state, d, viewer.as_ref()).await?))
}

async fn mine(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Items<Driveway>>> {
    Ok(Json(Items { items: state.store.driveways_of(user.id()).await? }))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(patch): Json<DrivewayPatch>,
) -> AppResult<Json<Driveway>> {
    let current = state
        .store
        .driveway(id)
        .await?
        .filter(|d| d.owner == user.id())
        .ok_or_else(|| AppError::not_found("driveway"))?;
    // A driveway moved without a new time zone takes the zone where it now stands.
    let moved = patch.lat.is_some_and(|l| l != current.lat) || patch.lng.is_some_and(|l| l != current.lng);
    let timezone = match patch.timezone {
        Some(zone) => Some(zone),
        None if moved => None,
        None => Some(current.timezone),
    };
    let merged = NewDriveway {
        title: patch.title.unwrap_or(current.title),
        address: patch.address.unwrap_or(current.address),
        lat: Some(patch.lat.unwrap_or(current.lat)),
        lng: Some(patch.lng.unwrap_or(current.lng)),
        price_per_hour_cents: patch.price_per_hour_cents.unwrap_or(current.price_per_hour_cents.0),
        price_per_day_cents: patch.price_per_day_cents.unwrap_or(current.price_per_day_cents.map(|c| c.0)),
        currency: Some(patch.currency.unwrap_or_else(|| current.currency.to_string())),
        timezone,
        instant_book: Some(patch.instant_book.unwrap_or(current.instant_book)),
        access_instructions: patch.access_instructions.unwrap_or(current.access_instructions),
        availability: Some(patch.availability.unwrap_or(current.availability)),
    };
    let f = fields(&state, merged).await?;
    Ok(Json(state.store.update_driveway(user.id(), id, &f, state.clock.now()).await?))
}

async fn remove(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<StatusCode> {
    let unused = state.store.delete_driveway(user.id(), id, state.clock.now()).await?;
    super::photos::forget(&state, unused).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchParams {
    lat: Option<f64>,
    lng: Option<f64>,
    radius_m: Option<f64>,
    bbox: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    max_price_per_hour_cents: Option<i64>,
    min_rating: Option<i64>,
    limit: Option<usize>,
}

/// `maxPricePerHourCents` of a search or a wide view: never negative.
pub(super) fn price_cap(cents: Option<i64>) -> AppResult<Option<i64>> {
    match cents {
        Some(max) if max < 0 => Err(AppError::validation("maxPricePerHourCents must not be negative")),
        cap => Ok(cap),
    }
}

/// A slot for searching and quoting: start before end, no longer than a booking may be, within
/// the horizon.
pub(super) fn query_slot(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<Option<TimeSlot>> {
    match (start, end) {
        (None, None) => Ok(None),
        (Some(s), Some(e)) => {
            let slot = TimeSlot::new(s, e)?;
            slot.check_horizon(now)?;
            if slot.duration() > Duration::days(MAX_DURATION_DAYS) {
                return Err(SlotError::TooLong.into());
            }
            Ok(Some(slot))
        }
        _ => Err(AppError::validation("give both start and end, or neither")),
    }
}

async fn search(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Query(p): Query<SearchParams>,
) -> AppResult<Json<SearchPage>> {
    let (bbox, center, radius_m) = match (p.lat, p.lng, p.bbox.as_deref()) {
        (Some(lat), Some(lng), None) => {
            let center = Point::new(lat, lng)?;
            let r = p.radius_m.unwrap_or(DEFAULT_RADIUS_M);
            if !(r.is_finite() && (1.0..=MAX_RADIUS_M).contains(&r)) {
                return Err(AppError::validation(format!("radiusM must be between 1 and {MAX_RADIUS_M}")));
            }
            (center.bbox_around(r), center, Some(r))
        }
        (None, None, Some(b)) => {
            let bbox = BoundingBox::parse(b)?;
            bbox.check_searchable()?;
            (bbox, bbox.center(), None)
        }
        _ => return Err(AppError::validation("give either lat and lng (with an optional radiusM) or bbox")),
    };
    let slot = query_slot(p.start, p.end, state.clock.now())?;
    let max_price_per_hour_cents = price_cap(p.max_price_per_hour_cents)?;
    let min_rating = p
        .min_rating
        .map(Rating::try_from)
        .transpose()
        .map_err(|_| AppError::validation("minRating must be a whole number of stars, 1 to 5"))?;
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let filter = SearchFilter {
        bbox,
        center,
        radius_m,
        free_during: slot,
        max_price_per_hour: max_price_per_hour_cents,
        min_rating,
    };
    let found = state
        .store
        .search(&filter, limit, |d| match &slot {
            None => true,
            Some(s) => d.availability.covers(s, d.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)),
        })
        .await?;
    let truncated = found.truncated;
    let found = found.items;
    let viewer_id = viewer.map(|c| c.sub);
    let items = found
        .into_iter()
        .map(|c| {
            let mut driveway = c.driveway;
            if viewer_id != Some(driveway.owner) {
                driveway.access_instructions = None;
            }
            let quote_cents = slot.map(|s| {
                Rate { per_hour: driveway.price_per_hour_cents, per_day: driveway.price_per_day_cents }.price(&s)
            });
            SearchItem { driveway, distance_m: (c.distance_m * 10.0).round() / 10.0, quote_cents }
        })
        .collect();
    Ok(Json(SearchPage { items, truncated }))
}

#[derive(Debug, Deserialize)]
struct Window {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

async fn availability(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(w): Query<Window>,
) -> AppResult<Json<Busy>> {
    state.store.driveway(id).await?.ok_or_else(|| AppError::not_found("driveway"))?;
    let now = state.clock.now();
    let from = w.from.unwrap_or(now);
    slot::check_horizon(from, now)?;
    let to = w.to.unwrap_or(from + Duration::days(14));
    let window = TimeSlot::new(from, to)?;
    window.check_horizon(now)?;
    if window.duration() > Duration::days(MAX_AVAILABILITY_DAYS) {
        return Err(AppError::validation(format!("ask for at most {MAX_AVAILABILITY_DAYS} days at a time")));
    }
    Ok(Json(Busy { busy: state.store.busy(id, from, to).await? }))
}

#[derive(Debug, Deserialize)]
struct QuoteParams {
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

async fn quote(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(q): Query<QuoteParams>,
) -> AppResult<Json<Quote>> {
    let d = state.store.driveway(id).await?.ok_or_else(|| AppError::not_found("driveway"))?;
    let slot = query_slot(q.start, q.end, state.clock.now())?
        .ok_or_else(|| AppError::validation("start and end are required"))?;
    let rate = Rate { per_hour: d.price_per_hour_cents, per_day: d.price_per_day_cents };
    Ok(Json(Quote { total_cents: rate.price(&slot), currency: d.currency }))
}
