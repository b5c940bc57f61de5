use crate::components::booking_card::{BookingCard, Viewer};
use crate::components::empty_state::EmptyState;
use crate::components::error_banner::ErrorBanner;
use crate::components::loading::Loading;
use crate::components::outbox_list::OutboxList;
use crate::hooks::{Load, use_app, use_load};
use crate::platform;
use crate::route::Route;
use chrono::Utc;
use futures::future::join_all;
use parkway_core::api::{Booking, Driveway};
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

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Upcoming,
    Past,
}

/// The driver's bookings: upcoming and past.
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
        Load::Loading => html! { <Loading label="Loading your bookings…" /> },
        Load::Failed(e) => html! { <ErrorBanner message={e.clone()} on_retry={reload.clone()} /> },
        Load::Ready(d) => {
            let (bookings, driveways) = (&d.0, &d.1);
            let now = Utc::now();
            let (mut upcoming, past): (Vec<&Booking>, Vec<&Booking>) =
                bookings.iter().partition(|b| b.status.holds_slot() && b.end_time > now);
            upcoming.sort_by_key(|b| b.start_time);
            let shown = if *tab == Tab::Upcoming { &upcoming } else { &past };
            let on_changed = reload.clone();
            let cards = shown.iter().map(|b| {
                html! {
                    <BookingCard key={b.id.to_string()} booking={(*b).clone()} driveway={driveways.get(&b.driveway).cloned()}
                        viewer={Viewer::Driver} on_changed={on_changed.clone()} />
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
                            aria-selected={(*tab == Tab::Upcoming).to_string()} onclick={select(Tab::Upcoming)}>
                            { format!("Upcoming ({})", upcoming.len()) }
                        </button>
                        <button type="button" role="tab" id="tab-past" aria-controls="bookings-panel"
                            aria-selected={(*tab == Tab::Past).to_string()} onclick={select(Tab::Past)}>
                            { format!("Past ({})", past.len()) }
                        </button>
                    </div>
                    // The panel holds the list; the list keeps its own role, so screen readers
                    // count its bookings.
                    <div id="bookings-panel" role="tabpanel"
                        aria-labelledby={if *tab == Tab::Upcoming { "tab-upcoming" } else { "tab-past" }}>
                        if shown.is_empty() {
                            <EmptyState title={if *tab == Tab::Upcoming { "No upcoming bookings." } else { "No past bookings yet." }}>
                                <Link<Route> to={Route::Search} classes="button">{ "Find parking" }</Link<Route>>
                            </EmptyState>
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
