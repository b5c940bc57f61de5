//! Demo data: a few people and about fifty driveways around San Francisco, so a fresh
//! `PARKWAY_DEMO=1` server can be tried at once. Also synthetic driveways for benchmarks.

use crate::auth::PasswordHasher;
use crate::store::Store;
use crate::store::db::query;
use crate::store::driveways::DrivewayFields;
use chrono::{DateTime, Utc};
use parkway_core::api::Role;
use parkway_core::availability::{OpenWindow, WeeklySchedule};
use parkway_core::geo::Point;
use parkway_core::money::{Cents, Currency};
use parkway_core::pricing::Rate;
use uuid::Uuid;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "parkway-demo";

/// The demo accounts: (email, name, roles).
pub const DEMO_USERS: [(&str, &str, &[Role]); 4] = [
    ("olivia@parkway.demo", "Olivia (owner)", &[Role::Owner]),
    ("omar@parkway.demo", "Omar (owner)", &[Role::Owner]),
    ("dana@parkway.demo", "Dana (driver)", &[Role::Driver]),
    ("sam@parkway.demo", "Sam (driver and owner)", &[Role::Driver, Role::Owner]),
];

/// Where the demo city is.
pub const DEMO_CENTER: (f64, f64) = (37.7749, -122.4194);

const STREETS: [&str; 10] = [
    "Valencia St",
    "Guerrero St",
    "Dolores St",
    "Church St",
    "Noe St",
    "Castro St",
    "Fillmore St",
    "Divisadero St",
    "Hayes St",
    "Oak St",
];
const KINDS: [&str; 5] = ["Driveway", "Covered carport", "Garage spot", "Side driveway", "Gated driveway"];

/// A tiny deterministic generator, so the demo city looks the same every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Creates the demo accounts and driveways unless they exist already, and prints the logins.
pub async fn seed(store: &Store, hasher: &PasswordHasher, now: DateTime<Utc>) -> anyhow::Result<()> {
    if store.credentials_by_email(DEMO_USERS[0].0).await.map_err(|e| anyhow::anyhow!("{e}"))?.is_none() {
        let hash = hasher.hash(DEMO_PASSWORD).await?;
        let mut owners = Vec::new();
        let mut drivers = Vec::new();
        for (email, name, roles) in DEMO_USERS {
            let user = store.create_user(email, name, &hash, roles, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if roles.contains(&Role::Owner) {
                owners.push(user.id);
            }
            if roles.contains(&Role::Driver) {
                drivers.push(user.id);
            }
        }
        let mut first_owners_driveways = Vec::new();
        let mut rng = Lcg(42);
        let weekdays =
            WeeklySchedule::new((0..5).map(|d| OpenWindow::new(d, 7 * 60, 19 * 60)).collect::<Result<_, _>>()?)?;
        for i in 0..50usize {
            let (lat0, lng0) = DEMO_CENTER;
            let point = Point::new(lat0 + (rng.next() - 0.5) * 0.06, lng0 + (rng.next() - 0.5) * 0.07)?;
            let street = STREETS[i % STREETS.len()];
            let number = 100 + (rng.next() * 3800.0) as u32;
            let per_hour = 200 + ((rng.next() * 18.0) as i64) * 50;
            let fields = DrivewayFields {
                title: format!("{} on {street}", KINDS[i % KINDS.len()]),
                address: format!("{number} {street}, San Francisco, CA"),
                point,
                rate: Rate { per_hour: Cents(per_hour), per_day: (i % 3 == 0).then_some(Cents(per_hour * 8)) },
                currency: Currency::usd(),
                timezone: "America/Los_Angeles".to_owned(),
                instant_book: i % 2 == 0,
                access_instructions: Some(format!(
                    "Gate code {:04}. Park close to the left side.",
                    (rng.next() * 9999.0) as u32
                )),
                availability: if i % 4 == 3 { weekdays.clone() } else { WeeklySchedule::always_open() },
            };
            let made = store
                .create_driveway(owners[i % owners.len()], &fields, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if i % owners.len() == 0 && first_owners_driveways.len() < 3 {
                first_owners_driveways.push((made.id, per_hour));
            }
        }
        // A few weeks of past, paid stays for the first owner, so their earnings page has
        // something to settle and pay out as soon as they add payout details.
        history(store, owners[0], drivers[0], &first_owners_driveways, 6, now).await?;
    }
    println!("demo data ready — sign in with password \"{DEMO_PASSWORD}\" as:");
    for (email, name, _) in DEMO_USERS {
        println!("  {email:<22} {name}");
    }
    Ok(())
}

/// Inserts `count` completed, paid one-hour stays by `driver` at `driveways` (id and hourly
/// price), one a day going back from three days before `now`, so each one's money has
/// settled: history for the demo and for the settlement benchmark. Written in large
/// transactions.
pub async fn history(
    store: &Store,
    owner: Uuid,
    driver: Uuid,
    driveways: &[(Uuid, i64)],
    count: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if driveways.is_empty() {
        return Ok(());
    }
    let hour = chrono::Duration::hours(1);
    let mut made = 0;
    while made < count {
        let n = (count - made).min(2000);
        let mut tx = store.begin_write().await?;
        // 9 bound values per row, well under both engines' limits.
        let rows = vec!["(?, ?, ?, ?, ?, ?, ?, 0, 'usd', 'completed', 'paid', ?, ?)"; n].join(", ");
        let mut q = query(format!(
            "INSERT INTO bookings (id, driveway_id, driver_id, owner_id, start_at, end_at, total_cents, refunded_cents, \
             currency, status, payment_status, created_at, updated_at) VALUES {rows}"
        ));
        for i in made..made + n {
            let (driveway, per_hour) = driveways[i % driveways.len()];
            let days = i64::try_from(i).unwrap_or(i64::MAX / 2) + 3;
            let start = now - chrono::Duration::days(days) - hour * 2;
            q = q
                .bind(Uuid::new_v4())
                .bind(driveway)
                .bind(driver)
                .bind(owner)
                .bind(start.timestamp_millis())
                .bind((start + hour).timestamp_millis())
                .bind(per_hour)
                .bind(start.timestamp_millis() - hour.num_milliseconds())
                .bind((start + hour).timestamp_millis());
        }
        tx.execute(q).await?;
        tx.commit().await?;
        made += n;
    }
    Ok(())
}

/// Inserts `count` driveways for `owner`, spread uniformly over a square of `side_km` around
/// `center`: data for benchmarks. Written in large transactions, so a million takes seconds.
pub async fn synthetic(
    store: &Store,
    owner: Uuid,
    count: usize,
    center: Point,
    side_km: f64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut rng = Lcg(7);
    let dlat = side_km / 111.0;
    let dlng = side_km / (111.0 * center.lat().to_radians().cos());
    let now_ms = now.timestamp_millis();
    let mut left = count;
    while left > 0 {
        let n = left.min(10_000);
        let mut tx = store.begin_write().await?;
        // 14 bound values per row; SQLite allows 32766 per statement, PostgreSQL 65535.
        for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
            let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut q = query(format!(
                "INSERT INTO driveways (id, owner_id, title, address, lat, lng, price_per_hour_cents, price_per_day_cents, \
                 currency, timezone, instant_book, availability, created_at, updated_at) VALUES {rows}"
            ));
            for _ in chunk {
                let lat = center.lat() + (rng.next() - 0.5) * dlat;
                let lng = center.lng() + (rng.next() - 0.5) * dlng;
                q = q
                    .bind(Uuid::new_v4())
                    .bind(owner)
                    .bind("Driveway")
                    .bind("Synthetic address")
                    .bind(lat)
                    .bind(lng)
                    .bind(100 + (rng.next() * 900.0) as i64)
                    .bind(None::<i64>)
                    .bind("usd")
                    .bind("UTC")
                    .bind(rng.next() < 0.5)
                    .bind("[]")
                    .bind(now_ms)
                    .bind(now_ms);
            }
            tx.execute(q).await?;
        }
        tx.commit().await?;
        left -= n;
    }
    Ok(())
}
