use super::Store;
use super::db::query;
use crate::error::AppResult;
use parkway_core::api::OwnerMetrics;
use parkway_core::earnings::FeeRate;
use parkway_core::money::Cents;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Totals {
    bookings: i64,
    confirmed: i64,
    cancelled: i64,
    completed: i64,
    revenue: i64,
    fees: i64,
    paid: i64,
    minutes: f64,
}

impl Store {
    /// Figures over every booking on the owner's driveways, with the platform's fee at `fee`.
    pub async fn owner_metrics(&self, owner: Uuid, fee: FeeRate) -> AppResult<OwnerMetrics> {
        let sql = self.engine().owner_metrics();
        let t: Totals = self.reader().fetch_one(query(sql).bind(i64::from(fee.bps())).bind(owner)).await?;
        let rate = |n: i64| if t.bookings == 0 { 0.0 } else { n as f64 / t.bookings as f64 };
        Ok(OwnerMetrics {
            bookings: t.bookings,
            confirmed: t.confirmed,
            cancelled: t.cancelled,
            completed: t.completed,
            revenue_cents: Cents(t.revenue),
            net_revenue_cents: Cents(t.revenue - t.fees),
            cancellation_rate: rate(t.cancelled),
            average_duration_minutes: t.minutes,
            payment_completion_rate: rate(t.paid),
        })
    }
}
