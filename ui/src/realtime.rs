//! Live notifications: a WebSocket to `/api/ws` that reconnects with backoff and, each time it
//! is back, catches up from the inbox with `?after=` so nothing is lost while away.

use crate::api::Api;
use crate::state::Action;
use std::time::Duration;
use yew::Callback;

/// Waits between reconnection attempts: 1 s, 2 s, 4 s, 8 s, then every 15 s.
pub fn reconnect_delay(failures: u32) -> Duration {
    Duration::from_secs(match failures {
        0 => 1,
        1 => 2,
        2 => 4,
        3 => 8,
        _ => 15,
    })
}

/// The ids received lately, for where a catch-up starts. Ids are not a perfect clock (on
/// PostgreSQL id 10 can commit after id 11), so a catch-up starts before the oldest of the last
/// [`Recent::KEPT`] ids rather than after the highest; what comes back twice is dropped by the
/// inbox, which keeps each id once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recent(Vec<i64>);

impl Recent {
    /// How many ids are kept.
    pub const KEPT: usize = 50;

    /// Notes an id received.
    pub fn note(&mut self, id: i64) {
        if let Err(at) = self.0.binary_search(&id) {
            self.0.insert(at, id);
            let extra = self.0.len().saturating_sub(Recent::KEPT);
            self.0.drain(..extra);
        }
    }

    /// Where the next catch-up starts: before the oldest id kept, or `initial` when none is.
    pub fn after(&self, initial: i64) -> i64 {
        self.0.first().map_or(initial, |oldest| oldest - 1)
    }
}

/// Loads every notification after `after`, page by page, oldest first.
pub async fn catch_up(api: &Api, after: i64) -> Result<Vec<crate::api::Notification>, crate::api::ClientError> {
    let mut all = Vec::new();
    let mut cursor = after;
    // The inbox pages by 100; a bounded loop keeps a misbehaving server from spinning us.
    for _ in 0..50 {
        let page = api.notifications(cursor).await?;
        let full = page.len() >= 100;
        cursor = page.iter().map(|n| n.id).max().unwrap_or(cursor);
        all.extend(page);
        if !full {
            break;
        }
    }
    Ok(all)
}

/// A live connection for one signed-in session; dropping it closes the socket for good.
pub struct LiveConnection {
    #[cfg(target_arch = "wasm32")]
    inner: std::rc::Rc<std::cell::RefCell<web::Inner>>,
}

impl std::fmt::Debug for LiveConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveConnection")
    }
}

impl LiveConnection {
    /// Loads the inbox after `last_id`, then listens; every event becomes an [`Action`].
    pub fn start(api: Api, last_id: i64, dispatch: Callback<Action>) -> LiveConnection {
        #[cfg(target_arch = "wasm32")]
        {
            LiveConnection { inner: web::start(api, last_id, dispatch) }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (api, last_id, dispatch);
            LiveConnection {}
        }
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        #[cfg(target_arch = "wasm32")]
        web::stop(&self.inner);
    }
}

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;
    use crate::state::Live;
    use std::cell::RefCell;
    use std::rc::{Rc, Weak};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{MessageEvent, WebSocket};

    pub struct Inner {
        api: Api,
        dispatch: Callback<Action>,
        /// Where the first catch-up starts.
        last_id: i64,
        /// The ids received since, for later catch-ups.
        recent: Recent,
        failures: u32,
        stopped: bool,
        socket: Option<WebSocket>,
        // Kept alive as long as the socket may call them; dropped with it.
        handlers: Vec<Closure<dyn FnMut(JsValue)>>,
        timer: Option<gloo_timers::callback::Timeout>,
    }

    pub fn start(api: Api, last_id: i64, dispatch: Callback<Action>) -> Rc<RefCell<Inner>> {
        let inner = Rc::new(RefCell::new(Inner {
            api,
            dispatch,
            last_id,
            recent: Recent::default(),
            failures: 0,
            stopped: false,
            socket: None,
            handlers: Vec::new(),
            timer: None,
        }));
        spawn_catch_up(Rc::downgrade(&inner));
        connect(Rc::downgrade(&inner));
        inner
    }

    pub fn stop(inner: &Rc<RefCell<Inner>>) {
        let mut i = inner.borrow_mut();
        i.stopped = true;
        i.timer = None;
        if let Some(socket) = i.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
            let _ = socket.close();
        }
        i.handlers.clear();
    }

    fn spawn_catch_up(weak: Weak<RefCell<Inner>>) {
        let Some(inner) = weak.upgrade() else { return };
        let (api, after, dispatch) = {
            let i = inner.borrow();
            (i.api.clone(), i.recent.after(i.last_id), i.dispatch.clone())
        };
        drop(inner);
        crate::platform::spawn(async move {
            match catch_up(&api, after).await {
                Ok(items) => {
                    if let Some(inner) = weak.upgrade() {
                        let mut i = inner.borrow_mut();
                        if i.stopped {
                            return;
                        }
                        for n in &items {
                            i.recent.note(n.id);
                        }
                    }
                    dispatch.emit(Action::Caught { items, toast: true });
                }
                Err(e) if e.status() == Some(401) => dispatch.emit(Action::SignedOut),
                Err(_) => {}
            }
        });
    }

    fn connect(weak: Weak<RefCell<Inner>>) {
        let Some(inner) = weak.upgrade() else { return };
        let Some(url) = inner.borrow().api.websocket_url() else { return };
        let dispatch = inner.borrow().dispatch.clone();
        dispatch.emit(Action::Live(Live::Connecting));
        let socket = match WebSocket::new(&url) {
            Ok(s) => s,
            Err(_) => {
                drop(inner);
                schedule_reconnect(weak);
                return;
            }
        };
        let on_open = {
            let weak = weak.clone();
            let dispatch = dispatch.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let reconnected = match weak.upgrade() {
                    Some(inner) => {
                        let mut i = inner.borrow_mut();
                        let was_failing = i.failures > 0;
                        i.failures = 0;
                        was_failing
                    }
                    None => return,
                };
                dispatch.emit(Action::Live(Live::Online));
                if reconnected {
                    spawn_catch_up(weak.clone());
                }
            })
        };
        let on_message = {
            let weak = weak.clone();
            let dispatch = dispatch.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let Some(text) = event.dyn_ref::<MessageEvent>().and_then(|e| e.data().as_string()) else { return };
                let Some(n) = crate::api::parse_notification(&text) else { return };
                if let Some(inner) = weak.upgrade() {
                    let mut i = inner.borrow_mut();
                    i.recent.note(n.id);
                }
                dispatch.emit(Action::Notified(n));
            })
        };
        let on_close = {
            let weak = weak.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let Some(inner) = weak.upgrade() else { return };
                let dispatch = {
                    let mut i = inner.borrow_mut();
                    if i.stopped {
                        return;
                    }
                    i.socket = None;
                    i.failures += 1;
                    i.dispatch.clone()
                };
                drop(inner);
                // No borrow is held while the app reacts.
                dispatch.emit(Action::Live(Live::Connecting));
                schedule_reconnect(weak.clone());
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut i = inner.borrow_mut();
        i.socket = Some(socket);
        // The previous socket's handlers can go: it is closed and will not call them again.
        i.handlers = vec![on_open, on_message, on_close];
    }

    fn schedule_reconnect(weak: Weak<RefCell<Inner>>) {
        let Some(inner) = weak.upgrade() else { return };
        let mut i = inner.borrow_mut();
        if i.stopped {
            return;
        }
        let wait = reconnect_delay(i.failures.saturating_sub(1));
        let next = weak.clone();
        i.timer = Some(gloo_timers::callback::Timeout::new(wait.as_millis() as u32, move || connect(next)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_up_starts_before_the_oldest_recent_id() {
        let mut recent = Recent::default();
        assert_eq!(recent.after(7), 7, "nothing received yet: where the inbox left off");
        recent.note(11);
        recent.note(10);
        recent.note(11);
        assert_eq!(recent.after(7), 9, "a late id 10 is fetched again, not skipped");
        for id in 12..100 {
            recent.note(id);
        }
        assert_eq!(recent.after(7), 100 - Recent::KEPT as i64 - 1);
    }

    #[test]
    fn reconnect_backoff_is_capped() {
        let waits: Vec<u64> = (0..7).map(|f| reconnect_delay(f).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 15, 15, 15]);
    }
}
