use crate::components::error_banner::error_banner;
use crate::forms::auth;
use crate::hooks::use_app;
use crate::platform;
use crate::route::Route;
use crate::state::{Action, Session};
use parkway_core::api::Role;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// Sign in with email and password.
#[component]
pub fn SignInPage() -> Html {
    let app = use_app();
    let navigator = use_navigator();
    let email = use_state(String::new);
    let password = use_state(String::new);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    use_effect_with((), |_| platform::set_title("Sign in"));

    let onsubmit = {
        let (email, password, error, busy, app) =
            (email.clone(), password.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let req = match auth::sign_in(&email, &password) {
                Ok(r) => r,
                Err(msg) => return error.set(Some(msg)),
            };
            error.set(None);
            busy.set(true);
            let (error, busy, app, navigator) = (error.clone(), busy.clone(), app.clone(), navigator.clone());
            crate::platform::spawn(async move {
                match app.api().login(&req).await {
                    Ok(answer) => {
                        let owner_only = !answer.user.roles.contains(&Role::Driver);
                        app.dispatch(Action::SignedIn(Session { token: answer.token, user: answer.user }));
                        if let Some(n) = navigator {
                            n.push(&if owner_only { Route::Owner } else { Route::Search });
                        }
                    }
                    Err(e) if e.status() == Some(401) => {
                        error.set(Some("That email and password do not match an account.".into()))
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
                busy.set(false);
            });
        })
    };
    let bind = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! {
        <div class="auth-page">
            <form class="card auth-card" {onsubmit} novalidate=true>
                <h1>{ "Sign in" }</h1>
                <p class="muted">{ "Welcome back to Parkway." }</p>
                <label for="email">{ "Email" }</label>
                <input id="email" type="email" autocomplete="email" required=true value={(*email).clone()} oninput={bind(&email)} />
                <label for="password">{ "Password" }</label>
                <input id="password" type="password" autocomplete="current-password" required=true value={(*password).clone()} oninput={bind(&password)} />
                if let Some(e) = &*error {
                    { error_banner(e.clone(), None) }
                }
                <button type="submit" class="button wide" disabled={*busy}>{ if *busy { "Signing in…" } else { "Sign in" } }</button>
                <p class="muted small">{ "New here? " }<Link<Route> to={Route::SignUp}>{ "Create an account" }</Link<Route>></p>
            </form>
        </div>
    }
}
