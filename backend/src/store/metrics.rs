use super::Store;
use super::db::{Engine, query};
use crate::error::AppResult;
use parkway_core::api::OwnerMetrics;
use parkway_core::money::Cents;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Totals {
    bookings: i64,
    confirmed: i64,
    cancelled: i64,
    completed: i64,
    revenue: i64,
    paid: i64,
    minutes: f64,
}

impl Store {
    /// Figures over every booking on the owner's driveways.
    pub async fn owner_metrics(&self, owner: Uuid) -> AppResult<OwnerMetrics> {
        // The same figures in each dialect: SQLite sums booleans; PostgreSQL counts with a
        // filter, and its sums and averages come back as numerics unless cast.
        let sql = match self.engine() {
            Engine::Sqlite => {
                "SELECT COUNT(*) AS bookings, \
                   COALESCE(SUM(status = 'confirmed'), 0) AS confirmed, \
                   COALESCE(SUM(status = 'cancelled'), 0) AS cancelled, \
                   COALESCE(SUM(status = 'completed'), 0) AS completed, \
                   COALESCE(SUM(CASE WHEN payment_status IN ('paid', 'refunded') THEN total_cents - refunded_cents ELSE 0 END), 0) AS revenue, \
                   COALESCE(SUM(payment_status IN ('paid', 'refunded')), 0) AS paid, \
                   COALESCE(AVG((end_at - start_at) / 60000.0), 0.0) AS minutes \
                 FROM bookings WHERE owner_id = ?"
            }
            Engine::Postgres => {
                "SELECT COUNT(*) AS bookings, \
                   COUNT(*) FILTER (WHERE status = 'confirmed') AS confirmed, \
                   COUNT(*) FILTER (WHERE status = 'cancelled') AS cancelled, \
                   COUNT(*) FILTER (WHERE status = 'completed') AS completed, \
                   COALESCE(SUM(total_cents - refunded_cents) FILTER (WHERE payment_status IN ('paid', 'refunded')), 0)::BIGINT AS revenue, \
                   COUNT(*) FILTER (WHERE payment_status IN ('paid', 'refunded')) AS paid, \
                   COALESCE(AVG((end_at - start_at) / 60000.0), 0.0)::DOUBLE PRECISION AS minutes \
                 FROM bookings WHERE owner_id = ?"
            }
        };
        let t: Totals = self.reader().fetch_one(query(sql).bind(owner)).await?;
        let rate = |n: i64| if t.bookings == 0 { 0.0 } else { n as f64 / t.bookings as f64 };
        Ok(OwnerMetrics {
            bookings: t.bookings,
            confirmed: t.confirmed,
            cancelled: t.cancelled,
            completed: t.completed,
            revenue_cents: Cents(t.revenue),
            cancellation_rate: rate(t.cancelled),
            average_duration_minutes: t.minutes,
            payment_completion_rate: rate(t.paid),
        })
    }
}
