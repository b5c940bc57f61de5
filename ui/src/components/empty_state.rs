use yew::prelude::*;

/// Props of [`EmptyState`].
#[derive(Properties, PartialEq)]
pub struct EmptyStateProps {
    /// The headline.
    pub title: AttrValue,
    /// What to do about it.
    #[prop_or_default]
    pub children: Html,
}

/// A friendly note where a list has nothing in it.
#[component]
pub fn EmptyState(props: &EmptyStateProps) -> Html {
    html! {
        <div class="empty-state">
            <p class="empty-title">{ props.title.clone() }</p>
            { props.children.clone() }
        </div>
    }
}
