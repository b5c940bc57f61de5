//! The session's access token lasts minutes; the refresh token behind it lasts weeks. In a
//! browser the refresh token sits in an `HttpOnly` cookie and this module trades it for a new
//! access token when one expires. Inside the app, the app does that itself and reports the
//! token with its answers. Either way the app state hears of the new token through
//! [`on_new_token`].

use super::Transport;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use yew::Callback;

type Refreshing = Shared<LocalBoxFuture<'static, Option<String>>>;

thread_local! {
    static LISTENER: RefCell<Option<Callback<String>>> = const { RefCell::new(None) };
    static IN_FLIGHT: RefCell<Option<Refreshing>> = const { RefCell::new(None) };
}

/// Who hears of every new access token (the app's state); `None` stops listening.
pub fn on_new_token(listener: Option<Callback<String>>) {
    LISTENER.with(|l| *l.borrow_mut() = listener);
}

/// Tells the listener of a new access token.
pub fn announce(token: &str) {
    let listener = LISTENER.with(|l| l.borrow().clone());
    if let Some(listener) = listener {
        listener.emit(token.to_owned());
    }
}

/// A new access token, or `None` when the session has ended. Requests that fail together
/// share one refresh: a refresh token is single-use, and spending it twice would look like a
/// stolen copy to the server.
pub async fn refresh(transport: &Transport) -> Option<String> {
    let shared = IN_FLIGHT.with(|f| {
        f.borrow_mut()
            .get_or_insert_with(|| {
                let transport = transport.clone();
                async move {
                    let mut token = transport.refresh().await;
                    if token.is_none() && matches!(transport, Transport::Http { .. }) {
                        // Another tab may have just refreshed this session (its cookie is ours
                        // too): the next try uses the token it got.
                        gloo_timers::future::TimeoutFuture::new(1_000).await;
                        token = transport.refresh().await;
                    }
                    IN_FLIGHT.with(|f| *f.borrow_mut() = None);
                    token
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    let token = shared.await;
    if let Some(token) = &token {
        announce(token);
    }
    token
}
