use crate::state::Filters;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What [`search_filters`] shows and calls.
pub struct SearchFiltersProps {
    /// Current filters.
    pub filters: Filters,
    /// New filters.
    pub on_change: Callback<Filters>,
    /// A problem with the filters, shown under them.
    pub error: Option<AttrValue>,
    /// Find my position.
    pub on_near_me: Callback<()>,
    /// True while the position is being found.
    pub locating: bool,
}

/// The time window, price cap and minimum rating of the search, plus "near me".
/// A plain function rather than a component: it has no state, and each component costs the
/// wasm its own copy of Yew's machinery.
pub fn search_filters(props: &SearchFiltersProps) -> Html {
    // The price cap applies as it is typed (the search waits for a pause anyway). Waiting for
    // `change` would lose the typing: a render in between, such as results arriving, puts the
    // field back to the value it was drawn with.
    let field = |set: fn(&mut Filters, String)| {
        let (filters, on_change) = (props.filters.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let mut f = filters.clone();
            set(&mut f, e.target_unchecked_into::<HtmlInputElement>().value());
            on_change.emit(f);
        })
    };
    let rating = {
        let (filters, on_change) = (props.filters.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            let mut f = filters.clone();
            f.min_rating = e.target_unchecked_into::<HtmlSelectElement>().value();
            on_change.emit(f);
        })
    };
    let clear = {
        let on_change = props.on_change.clone();
        Callback::from(move |_| on_change.emit(Filters::default()))
    };
    let near_me = {
        let cb = props.on_near_me.clone();
        Callback::from(move |_| cb.emit(()))
    };
    let f = &props.filters;
    let active = *f != Filters::default();
    html! {
        <form class="filters" aria-label="Search filters" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <div class="filter">
                <label for="f-date">{ "Date" }</label>
                <input id="f-date" type="date" value={f.date.clone()} onchange={field(|f, v| f.date = v)} />
            </div>
            <div class="filter">
                <label for="f-from">{ "From" }</label>
                <input id="f-from" type="time" step="900" value={f.from.clone()} onchange={field(|f, v| f.from = v)} />
            </div>
            <div class="filter">
                <label for="f-until">{ "Until" }</label>
                <input id="f-until" type="time" step="900" value={f.until.clone()} onchange={field(|f, v| f.until = v)} />
            </div>
            <div class="filter narrow">
                <label for="f-max">{ "Max $/h" }</label>
                <input id="f-max" type="number" inputmode="decimal" min="0" step="0.5" placeholder="Any"
                    value={f.max_price.clone()} oninput={field(|f, v| f.max_price = v).reform(Event::from)} />
            </div>
            <div class="filter narrow">
                <label for="f-rating">{ "Minimum rating" }</label>
                <select id="f-rating" onchange={rating}>
                    { for [("", "Any"), ("1", "1+ stars"), ("2", "2+ stars"), ("3", "3+ stars"), ("4", "4+ stars"), ("5", "5 stars")].into_iter().map(|(v, label)| html! {
                        <option value={v} selected={f.min_rating == v}>{ label }</option>
                    }) }
                </select>
            </div>
            <div class="filter-actions">
                <button type="button" class="button small secondary" onclick={near_me} disabled={props.locating}>
                    <span aria-hidden="true">{ "◎ " }</span>{ if props.locating { "Locating…" } else { "Near me" } }
                </button>
                if active {
                    <button type="button" class="button small ghost" onclick={clear}>{ "Clear" }</button>
                }
            </div>
            if let Some(e) = &props.error {
                <p class="field-error" role="alert">{ e.clone() }</p>
            }
        </form>
    }
}
