use crate::hooks::use_app;
use crate::state::{Action, ToastKind};
use yew::prelude::*;

/// How long a toast stays.
const TOAST_MS: u32 = 7000;

/// Toasts in the corner, announced politely to screen readers, each closing by itself.
#[component]
pub fn Toasts() -> Html {
    let app = use_app();
    // A handful of toasts at most: a list is plenty (and smaller in wasm than a map).
    let timers = use_mut_ref(Vec::<(u32, gloo_timers::callback::Timeout)>::new);
    {
        let mut timers = timers.borrow_mut();
        let ids: Vec<u32> = app.state.toasts.iter().map(|t| t.id).collect();
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
        html! {
            <div key={t.id} class={class} role={if t.kind == ToastKind::Error { "alert" } else { "status" }}>
                <div class="toast-text">
                    <strong>{ t.title.clone() }</strong>
                    if !t.message.is_empty() {
                        <span>{ t.message.clone() }</span>
                    }
                </div>
                <button type="button" class="toast-close" aria-label="Dismiss" onclick={dismiss}>{ "×" }</button>
            </div>
        }
    });
    html! {
        <div class="toasts" aria-live="polite">{ for toasts }</div>
    }
}
