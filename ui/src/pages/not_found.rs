use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;

/// Unknown paths.
#[component]
pub fn NotFoundPage() -> Html {
    html! {
        <div class="page narrow">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is nothing at this address." }</p>
            <Link<Route> to={Route::Search} classes="button">{ "Find parking" }</Link<Route>>
        </div>
    }
}
