use crate::hooks::use_app;
use crate::web_push::{self, PushState};
use yew::prelude::*;

/// After a booking request: an offer to be told of the owner's answer with Parkway closed
/// (Web Push). Permission is asked only when the button is pressed; nothing shows where push
/// cannot work, once it is on, or inside the app (which has its own notifications).
#[component]
pub fn PushOffer() -> Html {
    let app = use_app();
    let state = use_state(web_push::state);
    let problem = use_state(|| None::<String>);
    let Some(token) = app.state.session.as_ref().map(|s| s.token.clone()) else { return html! {} };
    let enable = {
        let (state, problem) = (state.clone(), problem.clone());
        Callback::from(move |_| {
            let (state, problem, token) = (state.clone(), problem.clone(), token.clone());
            crate::platform::spawn(async move {
                match web_push::enable(&token).await {
                    Ok(now) => state.set(now),
                    Err(why) => problem.set(Some(why)),
                }
            });
        })
    };
    let said = match *state {
        PushState::Off => None,
        PushState::On => Some("Notifications are on for this device."),
        PushState::Denied => Some("Notifications are blocked for Parkway in this browser's settings."),
        PushState::Unavailable => return html! {},
    };
    html! {
        <div class="push-offer" role="status">
            if let Some(said) = said {
                <p class="muted">{ said }</p>
            } else {
                <p>{ "Get told on this device when the owner answers, even with Parkway closed." }</p>
                <button type="button" class="button secondary" onclick={enable}>{ "Turn on notifications" }</button>
                if let Some(why) = &*problem {
                    <p class="error">{ why }</p>
                }
            }
        </div>
    }
}
