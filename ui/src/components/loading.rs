use yew::prelude::*;

/// A spinner with a visible, announced label (what is loading, for screen readers and sighted
/// users alike). A plain function rather than a component: it has no state, and each component
/// costs the wasm its own copy of Yew's machinery.
pub fn loading(label: &'static str) -> Html {
    html! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{ label }</span>
        </div>
    }
}
