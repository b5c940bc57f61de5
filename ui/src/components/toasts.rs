use crate::hooks::use_app;
use crate::route::Route;
use crate::state::{Action, ToastKind, ToastLink};
use yew::prelude::*;
use yew_router::prelude::*;
use yew_router::query::Raw;

/// How long a toast stays.
const TOAST_MS: u32 = 7000;

/// Toasts in the corner, announced politely to screen readers, each closing by itself, except
/// one with a link (extend a stay, reply to a message): seven seconds is too short to reach its
/// link by keyboard, so it stays until used or dismissed.
#[component]
pub fn Toasts() -> Html {
    let app = use_app();
    let navigator = use_navigator();
    // A handful of toasts at most: a list is plenty (and smaller in wasm than a map).
    let timers = use_mut_ref(Vec::<(u32, gloo_timers::callback::Timeout)>::new);
    {
        let mut timers = timers.borrow_mut();
        let ids: Vec<u32> = app.state.toasts.iter().filter(|t| t.link.is_none()).map(|t| t.id).collect();
        timers.retain(|(id, _)| ids.contains(id));
        for id in ids {
            if !timers.iter().any(|(t, _)| *t == id) {
                let dispatcher = app.state.dispatcher();
                let timer = gloo_timers::callback::Timeout::new(TOAST_MS, move || {
                    dispatcher.dispatch(Action::DismissToast(id))
                });
                timers.push((id, timer));
            }
        }
    }
    let toasts = app.state.toasts.iter().map(|t| {
        let class = match t.kind {
            ToastKind::Info => "toast info",
            ToastKind::Success => "toast success",
            ToastKind::Error => "toast error",
        };
        let dismiss = {
            let (app, id) = (app.clone(), t.id);
            Callback::from(move |_| app.dispatch(Action::DismissToast(id)))
        };
        // A real link (it can be opened elsewhere too), followed inside the app when clicked.
        let link = t.link.map(|link| {
            let (route, query, label) = match link {
                ToastLink::Extend(booking) => (Route::Bookings, format!("extend={booking}"), "Extend"),
                ToastLink::Reply { booking, owner } => {
                    (if owner { Route::Owner } else { Route::Bookings }, format!("talk={booking}"), "Reply")
                }
            };
            let href = format!("{}?{query}", route.to_path());
            let (app, navigator, id) = (app.clone(), navigator.clone(), t.id);
            let onclick = Callback::from(move |e: MouseEvent| {
                if e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key() {
                    return;
                }
                e.prevent_default();
                if let Some(n) = &navigator {
                    let _ = n.push_with_query(&route, Raw(query.clone()));
                }
                app.dispatch(Action::DismissToast(id));
            });
            html! { <a class="button small toast-action" {href} {onclick}>{ label }</a> }
        });
        html! {
            <div key={t.id} class={class} role={if t.kind == ToastKind::Error { "alert" } else { "status" }}>
                <div class="toast-text">
                    <strong>{ t.title.clone() }</strong>
                    if !t.message.is_empty() {
                        <span>{ t.message.clone() }</span>
                    }
                </div>
                { for link }
                <button type="button" class="toast-close" aria-label="Dismiss" onclick={dismiss}>{ "×" }</button>
            </div>
        }
    });
    html! {
        <div class="toasts" aria-live="polite">{ for toasts }</div>
    }
}
