//! The root component: the shared state and configuration, the router, the navigation bar,
//! toasts, the live connection for the signed-in user and, in the app, its outbox.

use crate::api::{self, outbox, replies, web_outbox};
use crate::components::nav_bar::NavBar;
use crate::components::open_booking::OpenBookingListener;
use crate::components::toasts::Toasts;
use crate::hooks::AppContext;
use crate::pages;
use crate::platform;
use crate::realtime::LiveConnection;
use crate::route::Route;
use crate::state::{Action, Session, State};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

const SESSION_KEY: &str = "parkway.session";
/// Access tokens last 15 minutes; renew well before.
const REFRESH_EVERY_MS: u32 = 10 * 60 * 1000;

fn restore_session() -> Option<Session> {
    platform::storage_get(SESSION_KEY).and_then(|json| crate::api::decode(&json).ok())
}

fn switch(route: Route) -> Html {
    match route {
        Route::Search => html! { <pages::search::SearchPage /> },
        Route::SignIn => html! { <pages::sign_in::SignInPage /> },
        Route::SignUp => html! { <pages::sign_up::SignUpPage /> },
        Route::Driveway { id } => html! { <pages::driveway::DrivewayPage {id} /> },
        Route::Bookings => html! { <pages::bookings::BookingsPage /> },
        Route::Vehicles => html! { <pages::vehicles::VehiclesPage /> },
        Route::Owner => html! { <pages::owner::OwnerPage /> },
        Route::Earnings => html! { <pages::earnings::EarningsPage /> },
        Route::NewDriveway => html! { <pages::driveway_editor::DrivewayEditorPage id={None::<uuid::Uuid>} /> },
        Route::EditDriveway { id } => html! { <pages::driveway_editor::DrivewayEditorPage id={Some(id)} /> },
        Route::NotFound => pages::not_found::not_found_page(),
    }
}

/// The app.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::starting(restore_session()));
    let config = use_memo((), |_| platform::config());
    let context = AppContext { state: state.clone(), config: Rc::new((*config).clone()) };

    // The session survives reloads.
    use_effect_with(state.session.clone(), |session| {
        let json = session.as_ref().and_then(|s| serde_json::to_string(s).ok());
        platform::storage_set(SESSION_KEY, json.as_deref());
    });

    // Renewed access tokens (after a 401, or reported by the app) replace the old one.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            api::session::on_new_token(Some(Callback::from(move |t| dispatcher.dispatch(Action::TokenRefreshed(t)))));
            || api::session::on_new_token(None)
        });
    }

    // In a browser, renew the access token before it expires, so a page left open keeps its
    // live connection (inside the app, the app does this itself).
    {
        let signed_in = state.session.as_ref().map(|s| s.user.id);
        let context = context.clone();
        use_effect_with(signed_in, move |signed_in| {
            let timer = (signed_in.is_some() && !platform::in_tauri()).then(|| {
                gloo_timers::callback::Interval::new(REFRESH_EVERY_MS, move || {
                    let api = context.api();
                    crate::platform::spawn(async move {
                        let _ = api.refresh().await;
                    });
                })
            });
            move || drop(timer)
        });
    }

    // A restored token may have expired: check it once, quietly.
    {
        let context = context.clone();
        use_effect_with((), move |_| {
            if context.state.session.is_some() {
                let api = context.api();
                crate::platform::spawn(async move {
                    if let Err(e) = api.me().await
                        && e.status() == Some(401)
                    {
                        context.dispatch(Action::SignedOut);
                    }
                });
            }
        });
    }

    // Live notifications for whoever is signed in; a new token starts a new connection.
    {
        let token = state.session.as_ref().map(|s| s.token.clone());
        let context = context.clone();
        use_effect_with(token, move |token| {
            let connection = token.as_ref().map(|_| {
                let dispatcher = context.state.dispatcher();
                LiveConnection::start(
                    context.api(),
                    context.state.last_notification_id(),
                    Callback::from(move |a| dispatcher.dispatch(a)),
                )
            });
            move || drop(connection)
        });
    }

    // Inside the app: the outbox of bookings and messages made offline, kept up to date by the
    // app's events, and listed again for whoever signs in (the app lists only theirs).
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            if platform::in_tauri() {
                let live = dispatcher.clone();
                platform::tauri_listen("outbox-changed", move |json| {
                    if let Ok(item) = crate::api::decode(&json) {
                        live.dispatch(Action::OutboxChanged(item));
                    }
                });
                platform::tauri_listen("replies-changed", move |json| {
                    if let Some(reply) = replies::parse(&json) {
                        dispatcher.dispatch(Action::ReplyChanged(reply));
                    }
                });
            }
        });
    }
    {
        let dispatcher = state.dispatcher();
        let user = state.session.as_ref().map(|s| s.user.id);
        use_effect_with(user, move |user| {
            if let (true, Some(user)) = (platform::in_tauri(), *user) {
                crate::platform::spawn(async move {
                    if let Ok(items) = outbox::list(user).await {
                        dispatcher.dispatch(Action::Outbox(items));
                    }
                    if let Ok(kept) = replies::list().await {
                        dispatcher.dispatch(Action::Replies(kept));
                    }
                });
            }
        });
    }

    // Nobody signed in (signed out, or the session ended elsewhere): this browser stops taking
    // pushes meant for the last user.
    {
        let signed_in = state.session.is_some();
        use_effect_with(signed_in, move |signed_in| {
            if !*signed_in && !platform::in_tauri() {
                crate::web_push::forget();
            }
        });
    }

    // In a browser, this page sends the bookings the browser kept: at once (the next visit),
    // and whenever the network comes back. A renewed token makes a new sender, which replaces
    // the last one.
    {
        let session = state.session.as_ref().map(|s| (s.user.id, s.token.clone()));
        let context = context.clone();
        use_effect_with(session, move |session| {
            if let (false, Some((user, _))) = (platform::in_tauri(), session) {
                let (user, dispatcher) = (*user, context.state.dispatcher());
                let send = move || {
                    let (api, dispatcher) = (context.api(), dispatcher.clone());
                    crate::platform::spawn(async move {
                        if let Ok(items) = outbox::list(user).await {
                            dispatcher.dispatch(Action::Outbox(items));
                        }
                        let changed = |item| dispatcher.dispatch(Action::OutboxChanged(item));
                        let _ = web_outbox::send_waiting(&api, user, false, &changed).await;
                    });
                };
                send();
                web_outbox::on_wake(send);
            }
        });
    }

    html! {
        <ContextProvider<AppContext> context={context}>
            <BrowserRouter>
                <a class="skip-link" href="#main">{ "Skip to content" }</a>
                <NavBar />
                <main id="main" tabindex="-1">
                    <Switch<Route> render={switch} />
                </main>
                <Toasts />
                <OpenBookingListener />
            </BrowserRouter>
        </ContextProvider<AppContext>>
    }
}
