use crate::components::error_banner::error_banner;
use crate::forms::auth;
use crate::hooks::use_app;
use crate::platform;
use crate::route::Route;
use crate::state::{Action, Session};
use parkway_core::ErrorCode;
use parkway_core::api::Role;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// Create an account as a driver, an owner, or both.
#[component]
pub fn SignUpPage() -> Html {
    let app = use_app();
    let navigator = use_navigator();
    let name = use_state(String::new);
    let email = use_state(String::new);
    let password = use_state(String::new);
    let driver = use_state(|| true);
    let owner = use_state(|| false);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    use_effect_with((), |_| platform::set_title("Sign up"));

    let onsubmit = {
        let (name, email, password, driver, owner) =
            (name.clone(), email.clone(), password.clone(), driver.clone(), owner.clone());
        let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let req = match auth::sign_up(&name, &email, &password, *driver, *owner) {
                Ok(r) => r,
                Err(msg) => return error.set(Some(msg)),
            };
            error.set(None);
            busy.set(true);
            let (error, busy, app, navigator) = (error.clone(), busy.clone(), app.clone(), navigator.clone());
            crate::platform::spawn(async move {
                match app.api().register(&req).await {
                    Ok(answer) => {
                        let owner_only = !answer.user.roles.contains(&Role::Driver);
                        app.dispatch(Action::SignedIn(Session { token: answer.token, user: answer.user }));
                        if let Some(n) = navigator {
                            n.push(&if owner_only { Route::Owner } else { Route::Search });
                        }
                    }
                    Err(e) if e.code() == Some(ErrorCode::EmailTaken) => {
                        error.set(Some("An account with that email exists already. Sign in instead.".into()))
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
    let toggle = |state: &UseStateHandle<bool>| {
        let state = state.clone();
        Callback::from(move |e: Event| state.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    html! {
        <div class="auth-page">
            <form class="card auth-card" {onsubmit} novalidate=true>
                <h1>{ "Create your account" }</h1>
                <p class="muted">{ "Park in private driveways, or earn from yours." }</p>
                <label for="name">{ "Name" }</label>
                <input id="name" type="text" autocomplete="name" required=true value={(*name).clone()} oninput={bind(&name)} />
                <label for="email">{ "Email" }</label>
                <input id="email" type="email" autocomplete="email" required=true value={(*email).clone()} oninput={bind(&email)} />
                <label for="password">{ "Password" }</label>
                <input id="password" type="password" autocomplete="new-password" minlength="8" required=true
                    aria-describedby="password-hint" value={(*password).clone()} oninput={bind(&password)} />
                <p id="password-hint" class="hint">{ "At least 8 characters." }</p>
                <fieldset class="roles">
                    <legend>{ "I want to" }</legend>
                    <label class="check">
                        <input id="role-driver" type="checkbox" checked={*driver} onchange={toggle(&driver)} />
                        { "Park (driver)" }
                    </label>
                    <label class="check">
                        <input id="role-owner" type="checkbox" checked={*owner} onchange={toggle(&owner)} />
                        { "Rent out my driveway (owner)" }
                    </label>
                </fieldset>
                if let Some(e) = &*error {
                    { error_banner(e.clone(), None) }
                }
                <button type="submit" class="button wide" disabled={*busy}>{ if *busy { "Creating account…" } else { "Sign up" } }</button>
                <p class="muted small">{ "Have an account? " }<Link<Route> to={Route::SignIn}>{ "Sign in" }</Link<Route>></p>
            </form>
        </div>
    }
}
