use crate::format;
use chrono::{DateTime, Utc};
use yew::prelude::*;

/// Props of [`HoldCountdown`].
#[derive(Properties, PartialEq)]
pub struct HoldCountdownProps {
    /// When the hold lapses.
    pub until: DateTime<Utc>,
}

/// "Held for 14:59 — pay to keep it", ticking every second.
#[component]
pub fn HoldCountdown(props: &HoldCountdownProps) -> Html {
    let now = use_state(Utc::now);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let timer = gloo_timers::callback::Interval::new(1000, move || now.set(Utc::now()));
            move || drop(timer)
        });
    }
    let left = (props.until - *now).num_seconds();
    if left <= 0 {
        return html! { <p class="hold expired">{ "The hold has lapsed; this slot is being released." }</p> };
    }
    html! {
        <p class="hold">
            <span aria-hidden="true">{ "⏱ " }</span>
            { "Slot held for " }
            <strong class="countdown" role="timer">{ format::countdown(left) }</strong>
            { " — pay to keep it." }
        </p>
    }
}
