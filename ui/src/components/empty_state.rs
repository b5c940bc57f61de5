use yew::prelude::*;

/// A friendly note where a list has nothing in it: the headline, then what to do about it. A
/// plain function rather than a component: it has no state, and each component costs the wasm
/// its own copy of Yew's machinery.
pub fn empty_state(title: &'static str, children: Html) -> Html {
    html! {
        <div class="empty-state">
            <p class="empty-title">{ title }</p>
            { children }
        </div>
    }
}
