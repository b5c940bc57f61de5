use crate::components::booking_card::{BookingCard, Viewer, sort_by_time};
use crate::components::empty_state::empty_state;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::components::outbox_list::OutboxList;
use crate::hooks::{Load, use_app, use_load};
use crate::platform;
use crate::route::Route;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use parkway_core::api::{Booking, Driveway};
use parkway_core::booking::BookingStatus;
use parkway_core::extension::{continued, stay_id};
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

/// Bookings with their driveways (fetched once each, with the caller's token so a confirmed
/// driver sees the access instructions).
pub type WithDriveways = (Vec<Booking>, Driveways);

/// Driveways by id (a short list; looked up linearly).
#[derive(Debug, Default)]
pub struct Driveways(Vec<(Uuid, Rc<Driveway>)>);

impl Driveways {
    /// The driveway with this id.
    pub fn get(&self, id: &Uuid) -> Option<&Rc<Driveway>> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, d)| d)
    }
}

/// Loads the caller's bookings (as driver or owner) and their driveways.
pub async fn load_bookings(api: crate::api::Api, as_owner: bool) -> Result<WithDriveways, crate::api::ClientError> {
    let bookings = api.bookings(as_owner).await?;
    let mut ids: Vec<Uuid> = bookings.iter().map(|b| b.driveway).collect();
    ids.sort();
    ids.dedup();
    let found = join_all(ids.iter().map(|id| api.driveway(*id))).await;
    let driveways =
        Driveways(ids.into_iter().zip(found).filter_map(|(id, d)| d.ok().map(|d| (id, Rc::new(d)))).collect());
    Ok((bookings, driveways))
}

/// Where `b`'s stay began, when `b` is the stay's last part (core's rule: no other part of the
/// stay that holds its time starts where `b` ends). Only the last part of a stay can be
/// extended, and the extra is priced from the stay's start.
pub fn stay_start_if_last(b: &Booking, all: &[Booking]) -> Option<DateTime<Utc>> {
    let stay = stay_id(b);
    // The first booking starts the stay; should the list miss it, the earliest part shown.
    (!continued(b, all))
        .then(|| all.iter().filter(|o| stay_id(o) == stay).map(|o| o.start_time).min().unwrap_or(b.start_time))
}

/// The booking named by `?<name>=<id>` in a query string (`extend`, `talk`).
pub fn booking_param(query: &str, name: &str) -> Option<Uuid> {
    query.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
}

/// The card whose extend form opens for `?extend=<asked>`: the last part of the asked
/// booking's stay (a notification may name an earlier part), if the stay can grow now.
pub fn extend_target(asked: Uuid, all: &[Booking], now: DateTime<Utc>) -> Option<Uuid> {
    let stay = stay_id(all.iter().find(|b| b.id == asked)?);
    all.iter()
        .filter(|b| stay_id(b) == stay && b.status.holds_slot())
        .max_by_key(|b| b.end_time)
        .filter(|b| b.status == BookingStatus::Confirmed && b.end_time > now)
        .map(|b| b.id)
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Upcoming,
    Past,
}

/// The driver's bookings: upcoming and past. `?extend=<booking>` (from a notification's
/// Extend) opens that stay's extend form; `?talk=<booking>` (a message's Reply) its thread.
#[component]
pub fn BookingsPage() -> Html {
    let app = use_app();
    let tab = use_state(|| Tab::Upcoming);
    use_effect_with((), |_| platform::set_title("My bookings"));
    let token = app.state.session.as_ref().map(|s| s.token.clone());
    let (data, reload) = {
        let app = app.clone();
        use_load((token.clone(), app.state.changes), move |_| load_bookings(app.api(), false))
    };
    let query = use_location().map(|l| l.query_str().to_owned()).unwrap_or_default();
    let asked = booking_param(&query, "extend");
    // `?talk=<booking>` (a message's Reply) opens that booking's thread, on its tab.
    let talk = booking_param(&query, "talk");
    let talk_past = match (&data, talk) {
        (Load::Ready(d), Some(id)) => {
            d.0.iter().find(|b| b.id == id).map(|b| !(b.status.holds_slot() && b.end_time > Utc::now()))
        }
        _ => None,
    };
    let extend_now = match (&data, asked) {
        (Load::Ready(d), Some(id)) => extend_target(id, &d.0, Utc::now()),
        _ => None,
    };
    // An extension is carried out once: the form opens, and the address goes back to plain
    // My bookings, so a reload or a later change does not open it again. A thread to open
    // brings its tab forward once; the address keeps naming it, so the thread opens with the
    // caret in it (and opens again on a reload, as the address says).
    {
        let (navigator, tab) = (use_navigator(), tab.clone());
        use_effect_with((extend_now, talk_past), move |(target, talk_past)| {
            if target.is_some() {
                tab.set(Tab::Upcoming);
                if let Some(n) = navigator {
                    n.replace(&Route::Bookings);
                }
            } else if let Some(past) = talk_past {
                tab.set(if *past { Tab::Past } else { Tab::Upcoming });
            }
        });
    }
    if token.is_none() {
        return html! {
            <div class="page narrow">
                <h1>{ "My bookings" }</h1>
                <p>{ "Sign in to see your bookings." }</p>
                <Link<Route> to={Route::SignIn} classes="button">{ "Sign in" }</Link<Route>>
            </div>
        };
    }
    let body = match &data {
        Load::Loading => loading("Loading your bookings…"),
        Load::Failed(e) => error_banner(e.clone(), Some(reload.clone())),
        Load::Ready(d) => {
            let (bookings, driveways) = (&d.0, &d.1);
            let now = Utc::now();
            let (mut upcoming, past): (Vec<&Booking>, Vec<&Booking>) =
                bookings.iter().partition(|b| b.status.holds_slot() && b.end_time > now);
            sort_by_time(&mut upcoming, |b| b.start_time, false);
            // A stay to extend is upcoming, whichever tab was open.
            let current = if extend_now.is_some() { Tab::Upcoming } else { *tab };
            let shown = if current == Tab::Upcoming { &upcoming } else { &past };
            let on_changed = reload.clone();
            let cards = shown.iter().map(|b| {
                html! {
                    <BookingCard key={b.id.to_string()} booking={(*b).clone()} driveway={driveways.get(&b.driveway).cloned()}
                        viewer={Viewer::Driver} on_changed={on_changed.clone()}
                        stay_start={stay_start_if_last(b, bookings)} extend_now={extend_now == Some(b.id)}
                        talk_now={talk == Some(b.id)} />
                }
            });
            let select = |t: Tab| {
                let tab = tab.clone();
                Callback::from(move |_| tab.set(t))
            };
            html! {
                <>
                    <div class="tabs" role="tablist" aria-label="Bookings">
                        <button type="button" role="tab" id="tab-upcoming" aria-controls="bookings-panel"
                            aria-selected={(current == Tab::Upcoming).to_string()} onclick={select(Tab::Upcoming)}>
                            { format!("Upcoming ({})", upcoming.len()) }
                        </button>
                        <button type="button" role="tab" id="tab-past" aria-controls="bookings-panel"
                            aria-selected={(current == Tab::Past).to_string()} onclick={select(Tab::Past)}>
                            { format!("Past ({})", past.len()) }
                        </button>
                    </div>
                    // The panel holds the list; the list keeps its own role, so screen readers
                    // count its bookings.
                    <div id="bookings-panel" role="tabpanel"
                        aria-labelledby={if current == Tab::Upcoming { "tab-upcoming" } else { "tab-past" }}>
                        if shown.is_empty() {
                            { empty_state(if current == Tab::Upcoming { "No upcoming bookings." } else { "No past bookings yet." }, html! {
                                <Link<Route> to={Route::Search} classes="button">{ "Find parking" }</Link<Route>>
                            }) }
                        } else {
                            <ul class="booking-list">{ for cards }</ul>
                        }
                    </div>
                </>
            }
        }
    };
    html! {
        <div class="page narrow">
            <div class="page-head"><h1>{ "My bookings" }</h1></div>
            <OutboxList />
            { body }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use parkway_core::booking::PaymentStatus;
    use parkway_core::money::{Cents, Currency};

    fn part(id: u128, of: Option<u128>, start_h: i64, end_h: i64, status: BookingStatus) -> Booking {
        let t0 = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z").expect("time").with_timezone(&Utc);
        Booking {
            id: Uuid::from_u128(id),
            driveway: Uuid::nil(),
            driver: Uuid::nil(),
            start_time: t0 + Duration::hours(start_h),
            end_time: t0 + Duration::hours(end_h),
            total_cents: Cents(100),
            currency: Currency::usd(),
            status,
            payment_status: PaymentStatus::Paid,
            stripe_payment_id: None,
            special_requests: None,
            driver_location: None,
            vehicle: None,
            extension_of: of.map(Uuid::from_u128),
            created_at: t0,
            updated_at: t0,
        }
    }

    #[test]
    fn only_the_last_part_of_a_stay_offers_to_extend_it_from_the_stays_start() {
        use BookingStatus::*;
        let first = part(1, None, 0, 2, Confirmed);
        let ext = part(2, Some(1), 2, 3, Pending);
        let cancelled = part(3, Some(1), 3, 4, Cancelled);
        let other = part(4, None, 3, 5, Confirmed);
        let all = [first.clone(), ext.clone(), cancelled.clone(), other.clone()];
        assert_eq!(stay_start_if_last(&first, &all), None, "its extension follows it");
        assert_eq!(stay_start_if_last(&ext, &all), Some(first.start_time), "priced from the stay's start");
        assert_eq!(stay_start_if_last(&other, &all), Some(other.start_time), "a stay of its own");
        // A cancelled extension does not make its stay end later.
        let all = [first.clone(), part(2, Some(1), 2, 3, Cancelled)];
        assert_eq!(stay_start_if_last(&first, &all), Some(first.start_time));
    }

    #[test]
    fn the_address_names_the_stay_to_extend() {
        let id = Uuid::from_u128(9);
        assert_eq!(booking_param(&format!("?extend={id}"), "extend"), Some(id));
        assert_eq!(booking_param(&format!("tab=past&extend={id}"), "extend"), Some(id));
        assert_eq!(booking_param(&format!("?talk={id}"), "talk"), Some(id));
        assert_eq!(booking_param(&format!("?talk={id}"), "extend"), None);
        assert_eq!(booking_param(&format!("?extended={id}"), "extend"), None);
        assert_eq!(booking_param("?extend=nope", "extend"), None);
        assert_eq!(booking_param("", "extend"), None);

        use BookingStatus::*;
        let now = part(0, None, 0, 1, Confirmed).start_time;
        let all = [part(1, None, 0, 2, Confirmed), part(2, Some(1), 2, 3, Confirmed)];
        assert_eq!(extend_target(Uuid::from_u128(1), &all, now), Some(Uuid::from_u128(2)), "the stay's last part");
        let waiting = [part(1, None, 0, 2, Confirmed), part(2, Some(1), 2, 3, Pending)];
        assert_eq!(extend_target(Uuid::from_u128(1), &waiting, now), None, "an extension is still waiting");
        assert_eq!(extend_target(Uuid::from_u128(1), &all, now + Duration::hours(4)), None, "the stay is over");
        assert_eq!(extend_target(Uuid::from_u128(7), &all, now), None, "not the driver's booking");
    }
}
