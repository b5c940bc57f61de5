use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;

/// Unknown paths. A plain function rather than a component: it has no state, and each
/// component costs the wasm its own copy of Yew's machinery.
pub fn not_found_page() -> Html {
    html! {
        <div class="page narrow">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is nothing at this address." }</p>
            <Link<Route> to={Route::Search} classes="button">{ "Find parking" }</Link<Route>>
        </div>
    }
}
