use crate::format;
use crate::hooks::use_app;
use crate::route::Route;
use crate::state::{Action, Live};
use chrono::Utc;
use parkway_core::notification::NotificationType;
use yew::prelude::*;
use yew_router::prelude::*;

/// The bell: unread count, live status, and the inbox as a drop-down panel.
#[component]
pub fn NotificationBell() -> Html {
    let app = use_app();
    let open = use_state(|| false);
    let navigator = use_navigator();
    let unread = app.state.unread();
    let live = app.state.live;
    let toggle = {
        let open = open.clone();
        Callback::from(move |_| open.set(!*open))
    };
    let mark_all = {
        let app = app.clone();
        Callback::from(move |_| {
            let ids: Vec<i64> = app.state.notifications.iter().filter(|n| n.read_at.is_none()).map(|n| n.id).collect();
            if ids.is_empty() {
                return;
            }
            app.dispatch(Action::MarkedRead(ids.clone(), Utc::now()));
            let api = app.api();
            crate::platform::spawn(async move {
                for id in ids {
                    // Best effort: the inbox is already shown as read; a failure only means it
                    // shows unread again after a reload.
                    let _ = api.mark_read(id).await;
                }
            });
        })
    };
    let (live_class, live_label) = match live {
        Live::Online => ("live on", "Live updates on"),
        Live::Connecting => ("live connecting", "Reconnecting…"),
        Live::Off => ("live off", "Live updates off"),
    };
    let now = Utc::now();
    let items = app.state.notifications.iter().rev().take(30).map(|n| {
        let target = match n.kind {
            NotificationType::BookingCreated => Route::Owner,
            _ if app.state.session.as_ref().is_some_and(|s| s.is(parkway_core::api::Role::Driver)) => Route::Bookings,
            _ => Route::Owner,
        };
        let onclick = {
            let (app, navigator, open, id) = (app.clone(), navigator.clone(), open.clone(), n.id);
            Callback::from(move |_| {
                app.dispatch(Action::MarkedRead(vec![id], Utc::now()));
                let api = app.api();
                crate::platform::spawn(async move {
                    let _ = api.mark_read(id).await;
                });
                open.set(false);
                if let Some(nav) = &navigator {
                    nav.push(&target);
                }
            })
        };
        html! {
            <li key={n.id} class={classes!("inbox-item", n.read_at.is_none().then_some("unread"))}>
                <button type="button" {onclick}>
                    <strong>{ n.title.clone() }</strong>
                    <span>{ n.message.clone() }</span>
                    <time datetime={n.created_at.to_rfc3339()}>{ format::ago(n.created_at, now) }</time>
                </button>
            </li>
        }
    });
    html! {
        <div class="bell-wrap">
            <button type="button" class="bell" onclick={toggle} aria-expanded={(*open).to_string()} aria-controls="inbox"
                aria-label={format!("Notifications, {unread} unread")}>
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/>
                </svg>
                if unread > 0 {
                    <span class="bell-count" aria-hidden="true">{ if unread > 99 { "99+".to_owned() } else { unread.to_string() } }</span>
                }
                <span class={live_class} title={live_label} aria-hidden="true"></span>
            </button>
            if *open {
                <div class="inbox" id="inbox" role="region" aria-label="Notifications">
                    <div class="inbox-head">
                        <strong>{ "Notifications" }</strong>
                        <span class="muted small">{ live_label }</span>
                        <button type="button" class="link-button" onclick={mark_all} disabled={unread == 0}>{ "Mark all read" }</button>
                    </div>
                    if app.state.notifications.is_empty() {
                        <p class="muted inbox-empty">
                            { if app.state.inbox_loaded { "Nothing yet. Bookings and payments will show up here." } else { "Loading…" } }
                        </p>
                    } else {
                        <ul class="inbox-list">{ for items }</ul>
                    }
                </div>
            }
        </div>
    }
}
