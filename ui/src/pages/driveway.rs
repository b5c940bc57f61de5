use crate::components::booking_form::BookingForm;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::components::photos::gallery;
use crate::components::review::{DrivewayReviews, stars};
use crate::format;
use crate::forms::driveway::{DAYS, schedule_rows};
use crate::forms::search::window;
use crate::hooks::{Load, use_app, use_load};
use crate::platform;
use crate::route::Route;
use chrono::{Duration, Local, Utc};
use parkway_core::api::{Busy, Driveway};
use parkway_core::availability::WeeklySchedule;
use uuid::Uuid;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`DrivewayPage`].
#[derive(Properties, PartialEq)]
pub struct DrivewayPageProps {
    /// The driveway.
    pub id: Uuid,
}

/// The opening hours as lines such as `Monday 08:00–18:00`.
pub fn hours_lines(schedule: &WeeklySchedule) -> Vec<String> {
    schedule_rows(schedule)
        .into_iter()
        .map(|r| format!("{} {}–{}", DAYS.get(usize::from(r.day)).copied().unwrap_or("?"), r.open, r.close))
        .collect()
}

/// A driveway's details and the booking form.
#[component]
pub fn DrivewayPage(props: &DrivewayPageProps) -> Html {
    let app = use_app();
    let token = app.state.session.as_ref().map(|s| s.token.clone());
    let (driveway, reload) = {
        let app = app.clone();
        use_load((props.id, token, app.state.changes), move |(id, _, _)| async move { app.api().driveway(id).await })
    };
    let (busy, _) = {
        let app = app.clone();
        use_load((props.id, app.state.changes), move |(id, _)| async move {
            let now = Utc::now();
            app.api().busy(id, now, now + Duration::days(7)).await
        })
    };
    {
        let title = match &driveway {
            Load::Ready(d) => d.title.clone(),
            _ => "Driveway".to_owned(),
        };
        use_effect_with(title, |t| platform::set_title(t));
    }
    let slot = window(&app.state.filters, &Local).ok().flatten();
    let d: std::rc::Rc<Driveway> = match driveway {
        Load::Loading => return html! { <div class="page">{ loading("Loading the driveway…") }</div> },
        Load::Failed(e) => {
            return html! {
                <div class="page narrow">
                    { error_banner(e, Some(reload)) }
                    <Link<Route> to={Route::Search}>{ "Back to the map" }</Link<Route>>
                </div>
            };
        }
        Load::Ready(d) => d,
    };
    let hours = hours_lines(&d.availability);
    let busy_list: Vec<String> = match &busy {
        Load::Ready(b) => {
            let b: &Busy = b;
            b.busy.iter().map(|s| format::slot(s.start(), s.end())).collect()
        }
        _ => Vec::new(),
    };
    html! {
        <div class="page">
            <Link<Route> to={Route::Search} classes="muted small">{ "← Back to the map" }</Link<Route>>
            <div class="detail">
                <article class="card detail-head">
                    <h1>{ d.title.clone() }</h1>
                    <p class="muted">{ d.address.clone() }</p>
                    { gallery(&app.api(), &d) }
                    <div class="facts">
                        { stars(d.rating) }
                        if d.instant_book {
                            <span class="chip ok">{ "Instant book" }</span>
                        } else {
                            <span class="chip">{ "Request to book — the owner confirms" }</span>
                        }
                    </div>
                    <p>
                        <span class="price-big">{ format::money(d.price_per_hour_cents, &d.currency) }</span>
                        <span class="muted">{ " per hour" }</span>
                        if let Some(day) = d.price_per_day_cents {
                            <span class="muted">{ format!(" · at most {} per day", format::money(day, &d.currency)) }</span>
                        }
                    </p>
                    <h2>{ "Opening hours" }</h2>
                    if hours.is_empty() {
                        <p>{ "Open around the clock, every day." }</p>
                    } else {
                        <ul class="hours">{ for hours.iter().map(|h| html! { <li>{ h.clone() }</li> }) }</ul>
                        <p class="hint">{ format!("Times in {}.", d.timezone) }</p>
                    }
                    if let Some(text) = &d.access_instructions {
                        <div class="instructions"><strong>{ "Access instructions" }</strong>{ text.clone() }</div>
                    }
                    <h2>{ "Already booked this week" }</h2>
                    if busy_list.is_empty() {
                        <p class="muted">{ "Nothing yet — every open hour is free." }</p>
                    } else {
                        <ul class="busy-list">{ for busy_list.iter().map(|b| html! { <li>{ b.clone() }</li> }) }</ul>
                    }
                    <DrivewayReviews key={d.id.to_string()} driveway={d.id} rating={d.rating} />
                </article>
                // Keyed by driveway: another driveway's page starts a fresh form, not the last one's step.
                <BookingForm key={d.id.to_string()} driveway={d.clone()} {slot} on_stale={reload} />
            </div>
        </div>
    }
}
