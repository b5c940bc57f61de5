use crate::components::photos::card_thumb;
use crate::components::review::stars;
use crate::format;
use crate::hooks::use_app;
use crate::route::Route;
use parkway_core::api::SearchItem;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`DrivewayCard`].
#[derive(Properties, PartialEq)]
pub struct DrivewayCardProps {
    /// The result.
    pub item: SearchItem,
    /// Highlighted (selected on the map or in the list).
    pub selected: bool,
    /// Selected by a click or the keyboard.
    pub on_select: Callback<()>,
}

fn distance(m: f64) -> String {
    let m = m.max(0.0).round() as i64;
    if m < 1000 {
        format!("{} m", (m + 5) / 10 * 10)
    } else {
        format!("{}.{} km", m / 1000, (m % 1000 + 50) / 100 % 10)
    }
}

/// One search result: title, address, distance, price and a way to book.
#[component]
pub fn DrivewayCard(props: &DrivewayCardProps) -> Html {
    let d = &props.item.driveway;
    let app = use_app();
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.selected, move |selected| {
            if *selected {
                scroll_into_view(&node);
            }
        });
    }
    let select = {
        let cb = props.on_select.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let hourly = format!("{}/h", format::price_tag(d.price_per_hour_cents, &d.currency));
    html! {
        <li ref={node} class={classes!("result", props.selected.then_some("selected"))} data-id={d.id.to_string()}>
            { card_thumb(&app.api(), d) }
            <button type="button" class="result-main" onclick={select} aria-pressed={props.selected.to_string()}>
                <span class="result-title">{ d.title.clone() }</span>
                <span class="result-address">{ d.address.clone() }</span>
                <span class="result-meta">
                    <span>{ distance(props.item.distance_m) }</span>
                    { stars(d.rating) }
                    if d.instant_book {
                        <span class="chip ok">{ "Instant book" }</span>
                    } else {
                        <span class="chip">{ "Request to book" }</span>
                    }
                </span>
            </button>
            <div class="result-side">
                <span class="result-price">
                    if let Some(q) = props.item.quote_cents {
                        <strong>{ format::price_tag(q, &d.currency) }</strong>
                        <small>{ format!("total · {hourly}") }</small>
                    } else {
                        <strong>{ hourly }</strong>
                    }
                </span>
                <Link<Route> to={Route::Driveway { id: d.id }} classes="button small">{ "Book" }</Link<Route>>
            </div>
        </li>
    }
}

fn scroll_into_view(node: &NodeRef) {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(el) = node.cast::<web_sys::Element>() {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            options.set_behavior(web_sys::ScrollBehavior::Smooth);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = node;
    }
}
