//! The map's place search: type a city, an address or a driveway, pick a suggestion, and the
//! map goes there. A combobox in the WAI-ARIA pattern: the suggestions are a listbox, the arrow
//! keys move through them, Enter picks, Escape closes.

use crate::hooks::use_app;
use crate::platform;
use parkway_core::api::{Place, PlaceKind};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How long typing must pause before suggestions are asked for.
const DEBOUNCE_MS: u32 = 200;

/// Where the places picked last are kept, newest first.
const RECENT_KEY: &str = "parkway.recentPlaces";
/// How many are kept.
const RECENT_MAX: usize = 5;

/// `list` with `place` first, once, and at most [`RECENT_MAX`] places.
pub fn remembered(mut list: Vec<Place>, place: &Place) -> Vec<Place> {
    list.retain(|p| p.label != place.label);
    list.insert(0, place.clone());
    list.truncate(RECENT_MAX);
    list
}

/// The places picked last on this device.
fn recent_places() -> Vec<Place> {
    platform::storage_get(RECENT_KEY).and_then(|text| crate::api::decode(&text).ok()).unwrap_or_default()
}

/// Props of [`PlaceSearch`].
#[derive(Properties, PartialEq)]
pub struct PlaceSearchProps {
    /// Where the map looks, so nearer places come first.
    pub near: Option<(f64, f64)>,
    /// A place was picked.
    pub on_pick: Callback<Place>,
    /// What the box is for, for screen readers.
    #[prop_or(AttrValue::Static("Find a place"))]
    pub label: AttrValue,
}

/// How far to zoom in on a kind of place: a city fills the view, an address shows its street.
pub fn zoom_for(kind: PlaceKind) -> f64 {
    match kind {
        PlaceKind::City => 12.0,
        PlaceKind::Town => 13.0,
        PlaceKind::Place => 15.0,
        PlaceKind::Address | PlaceKind::Driveway => 16.0,
    }
}

/// The search box with its suggestions.
#[component]
pub fn PlaceSearch(props: &PlaceSearchProps) -> Html {
    let app = use_app();
    // What the box shows, and what was typed: picking a place shows its label without asking
    // for suggestions of that label.
    let text = use_state(String::new);
    let typed = use_state(String::new);
    let items = use_state(|| Rc::new(Vec::<Place>::new()));
    let active = use_state(|| None::<usize>);
    let open = use_state(|| false);
    let generation = use_mut_ref(|| 0u32);

    // A place picked: the box shows its label and the map goes there.
    let pick = {
        let (text, open, on_pick, generation) = (text.clone(), open.clone(), props.on_pick.clone(), generation.clone());
        Callback::from(move |place: Place| {
            // Suggestions still on their way are for what was typed before: they are dropped.
            *generation.borrow_mut() += 1;
            text.set(place.label.clone());
            open.set(false);
            if let Ok(json) = serde_json::to_string(&remembered(recent_places(), &place)) {
                platform::storage_set(RECENT_KEY, Some(&json));
            }
            on_pick.emit(place);
        })
    };

    // Suggestions for what is typed, once typing pauses; an older answer never replaces a newer.
    // `pick` set: a full search, whose best result is picked.
    let ask = {
        let (items, open, active, app, near) = (items.clone(), open.clone(), active.clone(), app.clone(), props.near);
        let generation = generation.clone();
        move |q: String, typing: bool, pick: Option<Callback<Place>>| {
            let current = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            let (items, open, active, api, generation) =
                (items.clone(), open.clone(), active.clone(), app.api(), generation.clone());
            crate::platform::spawn(async move {
                let found = api.places(&q, near, typing).await.unwrap_or_default();
                if *generation.borrow() != current {
                    return;
                }
                active.set(None);
                match (pick, found.first()) {
                    (Some(pick), Some(first)) => {
                        open.set(false);
                        pick.emit(first.clone());
                    }
                    _ => {
                        open.set(true);
                        items.set(Rc::new(found));
                    }
                }
            });
        }
    };
    {
        let ask = ask.clone();
        let (items, open) = (items.clone(), open.clone());
        use_effect_with((*typed).clone(), move |q| {
            let q = q.trim().to_owned();
            let timer = if q.chars().count() < 2 {
                items.set(Rc::new(Vec::new()));
                open.set(false);
                None
            } else {
                Some(gloo_timers::callback::Timeout::new(DEBOUNCE_MS, move || ask(q, true, None)))
            };
            move || drop(timer)
        });
    }

    let on_input = {
        let (text, typed) = (text.clone(), typed.clone());
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            text.set(value.clone());
            typed.set(value);
        })
    };
    let on_key = {
        let (items, active, open, text, pick) =
            (items.clone(), active.clone(), open.clone(), text.clone(), pick.clone());
        Callback::from(move |e: KeyboardEvent| {
            let n = items.len();
            match e.key().as_str() {
                "ArrowDown" if n > 0 => {
                    e.prevent_default();
                    open.set(true);
                    active.set(Some(active.map_or(0, |i| (i + 1) % n)));
                }
                "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    open.set(true);
                    active.set(Some(active.map_or(n - 1, |i| (i + n - 1) % n)));
                }
                "Escape" => {
                    open.set(false);
                    active.set(None);
                }
                "Enter" => {
                    e.prevent_default();
                    match active.and_then(|i| items.get(i)) {
                        Some(place) => pick.emit(place.clone()),
                        // Enter on typed text is a full search: the geocoder may answer too.
                        None if text.trim().chars().count() >= 2 => {
                            ask(text.trim().to_owned(), false, Some(pick.clone()))
                        }
                        None => {}
                    }
                }
                _ => {}
            }
        })
    };
    // An empty box offers the places picked last.
    let on_focus = {
        let (text, items, open, active) = (text.clone(), items.clone(), open.clone(), active.clone());
        Callback::from(move |_: FocusEvent| {
            if text.trim().is_empty() {
                let recent = recent_places();
                active.set(None);
                open.set(!recent.is_empty());
                items.set(Rc::new(recent));
            }
        })
    };
    let on_blur = {
        let open = open.clone();
        // A click on a suggestion lands before the input loses focus (mousedown below).
        Callback::from(move |_: FocusEvent| open.set(false))
    };

    let expanded = *open && !items.is_empty();
    let options = items.iter().enumerate().map(|(i, place)| {
        let onmousedown = {
            let (pick, place) = (pick.clone(), place.clone());
            Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                pick.emit(place.clone());
            })
        };
        let selected = *active == Some(i);
        html! {
            <li id={format!("place-{i}")} role="option" aria-selected={selected.to_string()}
                class={classes!("place-option", selected.then_some("active"))} {onmousedown}>
                <span class="place-label">{ place.label.clone() }</span>
                <span class="place-kind">{ kind_name(place.kind) }</span>
            </li>
        }
    });
    html! {
        <div class="place-search">
            <label for="place-q" class="sr-only">{ props.label.clone() }</label>
            <input id="place-q" type="search" role="combobox" autocomplete="off" placeholder="City, address or landmark"
                aria-autocomplete="list" aria-controls="place-options" aria-expanded={expanded.to_string()}
                aria-activedescendant={active.map(|i| format!("place-{i}"))}
                value={(*text).clone()} oninput={on_input} onkeydown={on_key} onfocus={on_focus} onblur={on_blur} />
            <ul id="place-options" role="listbox" aria-label="Places" class="place-options" hidden={!expanded}>
                { for options }
            </ul>
        </div>
    }
}

fn kind_name(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::City => "City",
        PlaceKind::Town => "Town",
        PlaceKind::Driveway => "Driveway",
        PlaceKind::Address => "Address",
        PlaceKind::Place => "Place",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(label: &str) -> Place {
        Place { label: label.into(), kind: PlaceKind::City, lat: 0.0, lng: 0.0, bbox: None }
    }

    #[test]
    fn the_last_place_picked_comes_first_once_and_the_list_stays_short() {
        let mut list = Vec::new();
        for name in ["A", "B", "C", "D", "E", "F"] {
            list = remembered(list, &place(name));
        }
        let labels = |l: &[Place]| l.iter().map(|p| p.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&list), ["F", "E", "D", "C", "B"]);
        list = remembered(list, &place("C"));
        assert_eq!(labels(&list), ["C", "F", "E", "D", "B"]);
    }
}
