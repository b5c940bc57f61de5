use crate::format;
use parkway_core::api::OwnerMetrics;
use parkway_core::money::Currency;
use yew::prelude::*;

fn percent(rate: f64) -> String {
    format!("{}%", (rate * 100.0).clamp(0.0, 100.0).round() as i64)
}

/// The owner's figures: revenue, bookings, cancellation and payment rates, average length.
/// A plain function rather than a component: it has no state, and each component costs the
/// wasm its own copy of Yew's machinery.
pub fn metrics_panel(m: &OwnerMetrics) -> Html {
    let tiles = [
        ("Revenue", format::money(m.revenue_cents, &Currency::usd())),
        ("Net to you", format::money(m.net_revenue_cents, &Currency::usd())),
        ("Bookings", m.bookings.to_string()),
        ("Confirmed", m.confirmed.to_string()),
        ("Completed", m.completed.to_string()),
        ("Cancelled", format!("{} ({})", m.cancelled, percent(m.cancellation_rate))),
        ("Paid", percent(m.payment_completion_rate)),
        ("Average stay", format::duration(m.average_duration_minutes.round() as i64)),
    ];
    metric_tiles(None, tiles)
}

/// Figures as labelled tiles (a description list), `id` naming the list when given.
pub fn metric_tiles(id: Option<String>, tiles: impl IntoIterator<Item = (&'static str, String)>) -> Html {
    html! {
        <dl class="metrics" {id}>
            { for tiles.into_iter().map(|(label, value)| html! {
                <div class="metric">
                    <dt class="metric-label">{ label }</dt>
                    <dd class="metric-value" style="margin:0">{ value }</dd>
                </div>
            }) }
        </dl>
    }
}
