//! Hooks shared by pages and components.

use crate::api::{Api, ClientError, Transport};
use crate::platform::Config;
use crate::state::{Action, State, ToastKind};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use yew::prelude::*;

/// What every component can reach: the shared state and the page's configuration.
#[derive(Clone, PartialEq)]
pub struct AppContext {
    /// The reducer.
    pub state: UseReducerHandle<State>,
    /// Read once at start.
    pub config: Rc<Config>,
}

impl AppContext {
    /// The API client for the signed-in user (or anonymous).
    pub fn api(&self) -> Api {
        Api::new(Transport::detect(&self.config), self.state.session.as_ref().map(|s| s.token.clone()))
    }

    /// Sends an action to the reducer.
    pub fn dispatch(&self, action: Action) {
        self.state.dispatch(action);
    }

    /// Shows a toast.
    pub fn toast(&self, kind: ToastKind, title: &str, message: impl Into<String>) {
        self.dispatch(Action::Toast(kind, title.to_owned(), message.into()));
    }

    /// Reports a failed request; an expired session signs the user out.
    pub fn report(&self, title: &str, error: &ClientError) {
        if error.status() == Some(401) && self.state.session.is_some() {
            self.dispatch(Action::SignedOut);
            self.toast(ToastKind::Error, "Signed out", "Your session has ended. Sign in again.");
            return;
        }
        self.toast(ToastKind::Error, title, error.to_string());
    }
}

/// The app context; `App` provides it above every page.
#[hook]
pub fn use_app() -> AppContext {
    use_context::<AppContext>().expect("App provides the AppContext above every component")
}

/// Data being loaded.
#[derive(Debug, PartialEq)]
pub enum Load<T: ?Sized> {
    /// Waiting for the first answer.
    Loading,
    /// Here it is.
    Ready(Rc<T>),
    /// The sentence to show.
    Failed(String),
}

impl<T: ?Sized> Clone for Load<T> {
    fn clone(&self) -> Self {
        match self {
            Load::Loading => Load::Loading,
            Load::Ready(v) => Load::Ready(v.clone()),
            Load::Failed(e) => Load::Failed(e.clone()),
        }
    }
}

/// Loads data whenever `deps` change or `reload` is called. Earlier answers that arrive late
/// are dropped; data already shown stays on screen while a reload is in flight.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, load: F) -> (Load<T>, Callback<()>)
where
    T: 'static,
    D: PartialEq + Clone + 'static,
    F: FnOnce(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ClientError>> + 'static,
{
    let start: Start<D> = Box::new(move |deps| {
        let answer = load(deps);
        Box::pin(async move { answer.await.map(|v| Rc::new(v) as Rc<dyn Any>).map_err(failure) })
    });
    let (state, reload) = use_load_erased(deps, start);
    let state = match state {
        Load::Loading => Load::Loading,
        Load::Failed(e) => Load::Failed(e),
        // Always a `T`: this hook made it.
        Load::Ready(v) => v.downcast::<T>().map_or(Load::Loading, Load::Ready),
    };
    (state, reload)
}

/// What a failed load shows (once in the wasm, not once for every type loaded).
#[inline(never)]
fn failure(e: ClientError) -> String {
    e.to_string()
}

/// A load of any type, started for `D`.
type Start<D> = Box<dyn FnOnce(D) -> Pin<Box<dyn Future<Output = Result<Rc<dyn Any>, String>>>>>;

/// [`use_load`]'s work with the loaded type erased, so that the wasm holds it once for each
/// kind of `deps` rather than once for every page that loads something.
#[hook]
fn use_load_erased<D: PartialEq + Clone + 'static>(deps: D, start: Start<D>) -> (Load<dyn Any>, Callback<()>) {
    let state = use_state(|| Load::<dyn Any>::Loading);
    let nonce = use_state(|| 0u32);
    let generation = use_mut_ref(|| 0u32);
    {
        let state = state.clone();
        use_effect_with((deps, *nonce), move |(deps, _)| {
            let current = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            let answer = start(deps.clone());
            crate::platform::spawn(async move {
                let result = answer.await;
                if *generation.borrow() == current {
                    state.set(match result {
                        Ok(v) => Load::Ready(v),
                        Err(e) => Load::Failed(e),
                    });
                }
            });
        });
    }
    let counter = use_mut_ref(|| 0u32);
    let reload = {
        let nonce = nonce.clone();
        Callback::from(move |()| {
            let next = counter.borrow().wrapping_add(1);
            *counter.borrow_mut() = next;
            nonce.set(next);
        })
    };
    ((*state).clone(), reload)
}
