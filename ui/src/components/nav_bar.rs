use crate::components::notification_bell::NotificationBell;
use crate::hooks::use_app;
use crate::route::Route;
use crate::state::Action;
use parkway_core::api::Role;
use yew::prelude::*;
use yew_router::prelude::*;

/// The top bar: brand, the links the user's roles allow, the bell and the account.
#[component]
pub fn NavBar() -> Html {
    let app = use_app();
    let route = use_route::<Route>();
    let navigator = use_navigator();
    let session = app.state.session.clone();
    let link = |to: Route, label: &'static str| {
        let active = route.as_ref() == Some(&to);
        html! {
            <Link<Route> to={to} classes={classes!("nav-link", active.then_some("active"))}>{ label }</Link<Route>>
        }
    };
    let sign_out = {
        let app = app.clone();
        Callback::from(move |_| {
            // The server ends the session (its tokens stop working everywhere at once), after
            // this browser's push registration is removed, while the session still allows it.
            let api = app.api();
            let token = app.state.session.as_ref().map(|s| s.token.clone()).unwrap_or_default();
            let unregistered = crate::web_push::disable(&token);
            crate::platform::spawn(async move {
                unregistered.await;
                api.logout().await
            });
            app.dispatch(Action::SignedOut);
            // Inside the app, its notification listener and outbox stop acting for this user.
            if crate::platform::in_tauri() {
                crate::platform::spawn(async {
                    let _ = crate::platform::tauri_invoke("session_set", r#"{"token":null}"#).await;
                });
            }
            if let Some(n) = &navigator {
                n.push(&Route::Search);
            }
        })
    };
    html! {
        <header class="topbar">
            <Link<Route> to={Route::Search} classes="brand">
                <span class="brand-mark" aria-hidden="true">{ "P" }</span>
                <span class="brand-name">{ "Parkway" }</span>
            </Link<Route>>
            <nav class="nav-links" aria-label="Main">
                { link(Route::Search, "Find parking") }
                if session.as_ref().is_some_and(|s| s.is(Role::Driver)) {
                    { link(Route::Bookings, "My bookings") }
                    { link(Route::Vehicles, "Vehicles") }
                }
                if session.as_ref().is_some_and(|s| s.is(Role::Owner)) {
                    { link(Route::Owner, "Dashboard") }
                }
            </nav>
            <div class="nav-account">
                if let Some(s) = session {
                    <NotificationBell />
                    <span class="user-name" title={s.user.email.clone()}>{ s.user.name.clone() }</span>
                    <button type="button" class="button small ghost sign-out" onclick={sign_out} aria-label="Sign out" title="Sign out">
                        <span class="sign-out-icon" aria-hidden="true">{ "⎋" }</span>
                        <span class="sign-out-text" aria-hidden="true">{ "Sign out" }</span>
                    </button>
                } else {
                    <Link<Route> to={Route::SignIn} classes="nav-link">{ "Sign in" }</Link<Route>>
                    <Link<Route> to={Route::SignUp} classes="button small">{ "Sign up" }</Link<Route>>
                }
            </div>
        </header>
    }
}
