use yew::prelude::*;

/// Props of [`Loading`].
#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    /// What is loading, for screen readers and sighted users alike.
    #[prop_or(AttrValue::Static("Loading…"))]
    pub label: AttrValue,
}

/// A spinner with a visible, announced label.
#[component]
pub fn Loading(props: &LoadingProps) -> Html {
    html! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{ props.label.clone() }</span>
        </div>
    }
}
