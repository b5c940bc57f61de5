use crate::api::outbox::{self, OutboxItem};
use crate::format;
use crate::hooks::use_app;
use crate::route::Route;
use crate::state::{Action, Filters, ToastKind};
use chrono::Local;
use parkway_core::outbox::OutboxState;
use yew::prelude::*;
use yew_router::prelude::*;

fn badge_class(state: OutboxState) -> &'static str {
    match state {
        OutboxState::Queued | OutboxState::Syncing => "badge warn",
        OutboxState::Synced => "badge ok",
        OutboxState::Conflict | OutboxState::Failed => "badge error",
        OutboxState::Expired | OutboxState::Cancelled => "badge muted",
    }
}

/// What to say under an item.
fn detail(item: &OutboxItem) -> String {
    match item.state {
        OutboxState::Queued if item.attempts > 0 => format!(
            "Tried {} time{}; will try again by itself. Last problem: {}",
            item.attempts,
            if item.attempts == 1 { "" } else { "s" },
            item.last_error.as_deref().unwrap_or("no answer")
        ),
        OutboxState::Queued => "Waits for the network; it is sent as soon as Parkway can be reached.".to_owned(),
        OutboxState::Syncing => "Sending now…".to_owned(),
        OutboxState::Synced => "Booked. Pay for it below within 15 minutes to keep the slot.".to_owned(),
        OutboxState::Conflict => {
            "Someone booked this time before your request could be sent. These are free for the same time:".to_owned()
        }
        OutboxState::Failed | OutboxState::Expired => {
            item.last_error.clone().unwrap_or_else(|| "The server refused this request.".to_owned())
        }
        OutboxState::Cancelled => "You cancelled this request before it was sent.".to_owned(),
    }
}

/// The booking requests kept on this device (the app's outbox, or this browser's), live: saved offline, being sent,
/// booked, taken meanwhile (with free driveways nearby), refused or expired. A request not yet
/// sent can be cancelled; a finished one can be cleared.
#[component]
pub fn OutboxList() -> Html {
    let app = use_app();
    let busy = use_state(|| false);
    let items: Vec<&OutboxItem> = app.state.outbox.iter().filter(|i| i.state != OutboxState::Cancelled).collect();
    if items.is_empty() {
        return html! {};
    }
    let act = |id: uuid::Uuid, cancel: bool| {
        let (app, busy) = (app.clone(), busy.clone());
        Callback::from(move |_| {
            let (app, busy) = (app.clone(), busy.clone());
            busy.set(true);
            crate::platform::spawn(async move {
                let done = if cancel { outbox::cancel(id).await } else { outbox::dismiss(id).await.map(|()| None) };
                match done {
                    Ok(now) if cancel => {
                        if let Some(item) = now {
                            app.dispatch(Action::OutboxChanged(item));
                        }
                        app.toast(ToastKind::Info, "Request cancelled", "It will not be sent.")
                    }
                    Ok(_) => app.dispatch(Action::OutboxDismissed(id)),
                    Err(e) => app.report(if cancel { "Could not cancel" } else { "Could not clear" }, &e),
                }
                busy.set(false);
            });
        })
    };
    let retry = {
        let app = app.clone();
        Callback::from(move |_| {
            let app = app.clone();
            let Some(user) = app.state.session.as_ref().map(|s| s.user.id) else { return };
            crate::platform::spawn(async move {
                let dispatcher = app.state.dispatcher();
                let changed = move |item| dispatcher.dispatch(Action::OutboxChanged(item));
                if let Err(e) = outbox::sync_now(&app.api(), user, &changed).await {
                    app.report("Could not send", &e);
                }
            });
        })
    };
    // A free driveway nearby opens with the same time already chosen.
    let pick_time = |item: &OutboxItem| {
        let (app, start, end) = (app.clone(), item.request.start().with_timezone(&Local), item.request.end());
        Callback::from(move |_| {
            let end = end.with_timezone(&Local);
            let filters = Filters {
                date: format::ymd(&start),
                from: format::hhmm(&start),
                until: format::hhmm(&end),
                max_price: app.state.filters.max_price.clone(),
                min_rating: app.state.filters.min_rating.clone(),
            };
            app.dispatch(Action::Filters(filters));
        })
    };
    let waiting = items.iter().any(|i| i.state == OutboxState::Queued);
    let rows = items.iter().map(|item| {
        let r = &item.request;
        html! {
            <li key={item.id.to_string()} class="card outbox-item" data-state={item.state.as_str()}>
                <div class="row spread">
                    <strong>{ item.title() }</strong>
                    <span class={badge_class(item.state)}>{ item.state.label() }</span>
                </div>
                <p>{ format::slot(r.start(), r.end()) }</p>
                <p class="muted">{ detail(item) }</p>
                if let Some(alternatives) = item.alternatives.as_ref().filter(|_| item.state == OutboxState::Conflict) {
                    <ul class="alternatives">
                        { for alternatives.iter().map(|d| html! {
                            <li key={d.id.to_string()} onclick={pick_time(item)}>
                                <Link<Route> to={Route::Driveway { id: d.id }}>{ &d.title }</Link<Route>>
                                { format!(" — {}, {}/h", d.address, format::money(d.price_per_hour_cents, &d.currency)) }
                            </li>
                        }) }
                    </ul>
                }
                <div class="actions">
                    if item.state.can_cancel() {
                        <button type="button" class="button secondary" disabled={*busy} onclick={act(item.id, true)}>{ "Cancel request" }</button>
                    } else if !item.state.is_open() {
                        <button type="button" class="button secondary" disabled={*busy} onclick={act(item.id, false)}>{ "Clear" }</button>
                    }
                </div>
            </li>
        }
    });
    html! {
        <section class="outbox" aria-labelledby="outbox-heading" aria-live="polite">
            <div class="row spread">
                <h2 id="outbox-heading">{ "Saved on this device" }</h2>
                if waiting {
                    <button type="button" class="button secondary" onclick={retry}>{ "Try now" }</button>
                }
            </div>
            <ul class="outbox-list">{ for rows }</ul>
        </section>
    }
}
