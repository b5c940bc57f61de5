use yew::prelude::*;

/// An error in words, announced to screen readers, with a "Try again" button when `on_retry` is
/// given. A plain function rather than a component: it has no state, and each component costs
/// the wasm its own copy of Yew's machinery.
pub fn error_banner(message: String, on_retry: Option<Callback<()>>) -> Html {
    html! {
        <div class="error-banner" role="alert">
            <span>{ message }</span>
            if let Some(retry) = on_retry {
                <button type="button" class="button small secondary" onclick={Callback::from(move |_| retry.emit(()))}>
                    { "Try again" }
                </button>
            }
        </div>
    }
}
