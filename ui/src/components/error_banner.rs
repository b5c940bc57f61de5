use yew::prelude::*;

/// Props of [`ErrorBanner`].
#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    /// The sentence.
    pub message: AttrValue,
    /// Offers a "Try again" button when set.
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
}

/// An error in words, announced to screen readers, with a way to try again.
#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    html! {
        <div class="error-banner" role="alert">
            <span>{ props.message.clone() }</span>
            if let Some(retry) = props.on_retry.clone() {
                <button type="button" class="button small secondary" onclick={Callback::from(move |_| retry.emit(()))}>
                    { "Try again" }
                </button>
            }
        </div>
    }
}
