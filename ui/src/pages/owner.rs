use crate::components::booking_card::{BookingCard, Viewer, sort_by_time};
use crate::components::empty_state::empty_state;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::components::metrics_panel::metrics_panel;
use crate::components::owner_driveway_row::OwnerDrivewayRow;
use crate::hooks::{Load, use_app, use_load};
use crate::pages::bookings::{booking_param, load_bookings};
use crate::platform;
use crate::route::Route;
use chrono::Utc;
use parkway_core::api::{Booking, Role};
use parkway_core::booking::BookingStatus;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// Completed stays the dashboard shows, newest first, with their reviews.
const RECENT: usize = 10;

/// The owner's dashboard: figures, requests to answer, upcoming bookings, recent stays with
/// their reviews, and driveways.
#[component]
pub fn OwnerPage() -> Html {
    let app = use_app();
    use_effect_with((), |_| platform::set_title("Dashboard"));
    let session = app.state.session.clone();
    let token = session.as_ref().map(|s| s.token.clone());
    let changes = app.state.changes;
    let (metrics, reload_metrics) = {
        let app = app.clone();
        use_load((token.clone(), changes), move |_| async move { app.api().owner_metrics().await })
    };
    let (bookings, reload_bookings) = {
        let app = app.clone();
        use_load((token.clone(), changes), move |_| load_bookings(app.api(), true))
    };
    // `?talk=<booking>` (a message's Reply) opens that booking's thread.
    let talk = use_location().and_then(|l| booking_param(l.query_str(), "talk"));
    let (driveways, reload_driveways) = {
        let app = app.clone();
        use_load((token.clone(), changes), move |_| async move { app.api().my_driveways().await })
    };
    if !session.as_ref().is_some_and(|s| s.is(Role::Owner)) {
        return html! {
            <div class="page narrow">
                <h1>{ "Owner dashboard" }</h1>
                <p>{ "Sign in with an owner account to list driveways and answer requests." }</p>
                <Link<Route> to={Route::SignIn} classes="button">{ "Sign in" }</Link<Route>>
            </div>
        };
    }
    let on_changed = {
        let (a, b, c) = (reload_metrics.clone(), reload_bookings.clone(), reload_driveways.clone());
        Callback::from(move |()| {
            a.emit(());
            b.emit(());
            c.emit(());
        })
    };

    let metrics_view = match &metrics {
        Load::Loading => loading("Loading figures…"),
        Load::Failed(e) => error_banner(e.clone(), Some(reload_metrics.clone())),
        Load::Ready(m) => metrics_panel(m),
    };

    let (requests_view, upcoming_view, request_count, upcoming_count, recent_view) = match &bookings {
        Load::Loading => (loading("Loading requests…"), html! {}, 0, 0, html! {}),
        Load::Failed(e) => (error_banner(e.clone(), Some(reload_bookings.clone())), html! {}, 0, 0, html! {}),
        Load::Ready(data) => {
            let now = Utc::now();
            let mut requests: Vec<&Booking> =
                data.0.iter().filter(|b| b.status == BookingStatus::Pending && b.end_time > now).collect();
            let mut upcoming: Vec<&Booking> =
                data.0.iter().filter(|b| b.status == BookingStatus::Confirmed && b.end_time > now).collect();
            // The latest completed stays, where drivers' reviews are read and answered.
            let mut recent: Vec<&Booking> = data.0.iter().filter(|b| b.status == BookingStatus::Completed).collect();
            sort_by_time(&mut requests, |b| b.start_time, false);
            sort_by_time(&mut upcoming, |b| b.start_time, false);
            sort_by_time(&mut recent, |b| b.end_time, true);
            recent.truncate(RECENT);
            let cards = |list: &[&Booking]| {
                list.iter()
                    .map(|b| {
                        html! {
                            <BookingCard key={b.id.to_string()} booking={(*b).clone()} driveway={data.1.get(&b.driveway).cloned()}
                                viewer={Viewer::Owner} on_changed={on_changed.clone()} talk_now={talk == Some(b.id)} />
                        }
                    })
                    .collect::<Html>()
            };
            let requests_html = if requests.is_empty() {
                empty_state("No requests waiting.", html! { <p>{ "New bookings on your driveways appear here." }</p> })
            } else {
                html! { <ul class="booking-list" id="requests">{ cards(&requests) }</ul> }
            };
            let upcoming_html = if upcoming.is_empty() {
                empty_state("No confirmed bookings coming up.", Html::default())
            } else {
                html! { <ul class="booking-list" id="upcoming">{ cards(&upcoming) }</ul> }
            };
            let recent_html = if recent.is_empty() {
                empty_state("No completed stays yet.", Html::default())
            } else {
                html! { <ul class="booking-list" id="recent">{ cards(&recent) }</ul> }
            };
            (requests_html, upcoming_html, requests.len(), upcoming.len(), recent_html)
        }
    };

    let driveways_view = match &driveways {
        Load::Loading => loading("Loading your driveways…"),
        Load::Failed(e) => error_banner(e.clone(), Some(reload_driveways.clone())),
        Load::Ready(list) if list.is_empty() => html! {
            { empty_state("You have not listed a driveway yet.", html! {
                <Link<Route> to={Route::NewDriveway} classes="button">{ "List your first driveway" }</Link<Route>>
            }) }
        },
        Load::Ready(list) => html! {
            <ul class="driveway-list">
                { for list.iter().map(|d| html! {
                    <OwnerDrivewayRow key={d.id.to_string()} driveway={Rc::new(d.clone())} on_changed={on_changed.clone()} />
                }) }
            </ul>
        },
    };

    html! {
        <div class="page">
            <div class="page-head">
                <h1>{ "Dashboard" }</h1>
                <div class="page-actions">
                    <Link<Route> to={Route::Earnings} classes="button ghost">{ "Earnings" }</Link<Route>>
                    <Link<Route> to={Route::NewDriveway} classes="button">{ "+ Add a driveway" }</Link<Route>>
                </div>
            </div>
            <section class="section" aria-labelledby="metrics-h">
                <h2 id="metrics-h">{ "Your figures" }</h2>
                { metrics_view }
            </section>
            <section class="section" aria-labelledby="requests-h">
                <h2 id="requests-h">{ "Requests to answer" }<span class="count">{ request_count }</span></h2>
                { requests_view }
            </section>
            <section class="section" aria-labelledby="upcoming-h">
                <h2 id="upcoming-h">{ "Upcoming bookings" }<span class="count">{ upcoming_count }</span></h2>
                { upcoming_view }
            </section>
            <section class="section" aria-labelledby="recent-h">
                <h2 id="recent-h">{ "Recent stays and reviews" }</h2>
                { recent_view }
            </section>
            <section class="section" aria-labelledby="driveways-h">
                <h2 id="driveways-h">{ "Your driveways" }</h2>
                { driveways_view }
            </section>
        </div>
    }
}
