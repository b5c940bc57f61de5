use crate::components::availability_editor::{AvailabilityEditorProps, availability_editor};
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::components::photos::{PhotoManager, photo_manager};
use crate::components::pin_map::PinMap;
use crate::components::place_search::PlaceSearch;
use crate::forms::driveway::{DrivewayForm, WindowRow, parse_coordinate};
use crate::hooks::use_app;
use crate::map::features::coordinate;
use crate::platform;
use crate::route::Route;
use crate::state::{Action, ToastKind};
use parkway_core::api::{Place, Role};
use uuid::Uuid;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`DrivewayEditorPage`].
#[derive(Properties, PartialEq)]
pub struct DrivewayEditorPageProps {
    /// The driveway to edit; `None` lists a new one.
    pub id: Option<Uuid>,
}

/// Listing a new driveway or editing one: title, address, position (found by address, a pin
/// on a map, or typed), prices, time zone, instant book, access instructions and weekly
/// opening hours.
#[component]
pub fn DrivewayEditorPage(props: &DrivewayEditorPageProps) -> Html {
    let app = use_app();
    let navigator = use_navigator();
    let form = use_state(|| None::<DrivewayForm>);
    let photos = use_state(|| None::<Vec<parkway_core::photo::Photo>>);
    let sending = use_state(|| None::<u32>);
    let photo_error = use_state(|| None::<String>);
    let load_error = use_state(|| None::<String>);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let locating = use_state(|| false);
    let id = props.id;
    use_effect_with(id, |id| platform::set_title(if id.is_some() { "Edit driveway" } else { "Add a driveway" }));

    {
        let (form, photos, load_error, app) = (form.clone(), photos.clone(), load_error.clone(), app.clone());
        use_effect_with(id, move |id| match *id {
            None => {
                let mut f = DrivewayForm::empty(platform::browser_timezone());
                if let Some(c) = app.state.camera {
                    f.lat = coordinate(c.lat);
                    f.lng = coordinate(c.lng);
                }
                form.set(Some(f));
            }
            Some(id) => {
                form.set(None);
                crate::platform::spawn(async move {
                    match app.api().driveway(id).await {
                        Ok(d) => {
                            form.set(Some(DrivewayForm::from_driveway(&d)));
                            photos.set(Some(d.photos.clone()));
                        }
                        Err(e) => load_error.set(Some(e.to_string())),
                    }
                });
            }
        });
    }

    if !app.state.session.as_ref().is_some_and(|s| s.is(Role::Owner)) {
        return html! {
            <div class="page narrow">
                <p>{ "Sign in with an owner account to list driveways." }</p>
                <Link<Route> to={Route::SignIn} classes="button">{ "Sign in" }</Link<Route>>
            </div>
        };
    }
    if let Some(e) = &*load_error {
        return html! { <div class="page narrow">{ error_banner(e.clone(), None) }</div> };
    }
    let Some(current) = (*form).clone() else {
        return html! { <div class="page narrow">{ loading("Loading the driveway…") }</div> };
    };

    let text = |apply: fn(&mut DrivewayForm, String)| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(mut f) = (*form).clone() {
                apply(&mut f, e.target_unchecked_into::<HtmlInputElement>().value());
                form.set(Some(f));
            }
        })
    };
    let on_notes = {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(mut f) = (*form).clone() {
                f.access_instructions = e.target_unchecked_into::<HtmlTextAreaElement>().value();
                form.set(Some(f));
            }
        })
    };
    let on_instant = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            if let Some(mut f) = (*form).clone() {
                f.instant_book = e.target_unchecked_into::<HtmlInputElement>().checked();
                form.set(Some(f));
            }
        })
    };
    let on_windows = {
        let form = form.clone();
        Callback::from(move |windows: Vec<WindowRow>| {
            if let Some(mut f) = (*form).clone() {
                f.windows = windows;
                form.set(Some(f));
            }
        })
    };
    let use_location = {
        let (form, locating, app) = (form.clone(), locating.clone(), app.clone());
        Callback::from(move |_| {
            let (form, locating, app) = (form.clone(), locating.clone(), app.clone());
            locating.set(true);
            crate::platform::spawn(async move {
                match platform::current_position().await {
                    Ok((lat, lng)) => {
                        if let Some(mut f) = (*form).clone() {
                            f.lat = coordinate(lat);
                            f.lng = coordinate(lng);
                            form.set(Some(f));
                        }
                    }
                    Err(e) => app.toast(ToastKind::Error, "Location unavailable", e),
                }
                locating.set(false);
            });
        })
    };
    let onsubmit = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(f) = (*form).clone() else { return };
            if *busy {
                return;
            }
            let (error, busy, app, navigator) = (error.clone(), busy.clone(), app.clone(), navigator.clone());
            let request = match id {
                None => f.to_new().map(|n| (Some(n), None)),
                Some(_) => f.to_patch().map(|p| (None, Some(p))),
            };
            let (new, patch) = match request {
                Ok(r) => r,
                Err(msg) => return error.set(Some(msg)),
            };
            error.set(None);
            busy.set(true);
            crate::platform::spawn(async move {
                let api = app.api();
                let result = match (id, new, patch) {
                    (Some(id), _, Some(p)) => api.update_driveway(id, &p).await,
                    (_, Some(n), _) => api.create_driveway(&n).await,
                    _ => return,
                };
                busy.set(false);
                match result {
                    Ok(d) => {
                        app.toast(
                            ToastKind::Success,
                            if id.is_some() { "Driveway saved" } else { "Driveway listed" },
                            d.title,
                        );
                        app.dispatch(Action::Changed);
                        if let Some(n) = navigator {
                            n.push(&Route::Owner);
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };

    let on_pin = {
        let form = form.clone();
        Callback::from(move |(lat, lng): (f64, f64)| {
            if let Some(mut f) = (*form).clone() {
                f.lat = coordinate(lat);
                f.lng = coordinate(lng);
                form.set(Some(f));
            }
        })
    };
    let on_place = {
        let form = form.clone();
        Callback::from(move |p: Place| {
            if let Some(mut f) = (*form).clone() {
                f.lat = coordinate(p.lat);
                f.lng = coordinate(p.lng);
                if f.address.trim().is_empty() {
                    f.address = p.label;
                }
                form.set(Some(f));
            }
        })
    };
    let f = current;
    let at = parse_coordinate(&f.lat, 90.0).zip(parse_coordinate(&f.lng, 180.0));
    let camera = app.state.camera.unwrap_or(crate::map::Camera::DEFAULT);
    html! {
        <div class="page narrow">
            <Link<Route> to={Route::Owner} classes="muted small">{ "← Dashboard" }</Link<Route>>
            <form class="card" {onsubmit} novalidate=true>
                <h1>{ if id.is_some() { "Edit driveway" } else { "Add a driveway" } }</h1>
                <label for="d-title">{ "Title" }</label>
                <input id="d-title" type="text" maxlength="120" placeholder="Sunny driveway near the park" value={f.title.clone()} oninput={text(|f, v| f.title = v)} />
                <label for="d-address">{ "Address" }</label>
                <input id="d-address" type="text" autocomplete="street-address" value={f.address.clone()} oninput={text(|f, v| f.address = v)} />
                <div class="pin-wrap">
                    <PlaceSearch near={at.or(Some((camera.lat, camera.lng)))} on_pick={on_place} label="Find the address on the map" />
                    <PinMap {at} {camera} on_move={on_pin} style_url={app.config.map_style_url.clone().map(AttrValue::from)} />
                </div>
                <div class="row">
                    <div>
                        <label for="d-lat">{ "Latitude" }</label>
                        <input id="d-lat" type="text" inputmode="decimal" value={f.lat.clone()} oninput={text(|f, v| f.lat = v)} />
                    </div>
                    <div>
                        <label for="d-lng">{ "Longitude" }</label>
                        <input id="d-lng" type="text" inputmode="decimal" value={f.lng.clone()} oninput={text(|f, v| f.lng = v)} />
                    </div>
                </div>
                <p class="hint">
                    { if f.lat.is_empty() { "Find the address, drag the pin, type the coordinates, or " } else { "Find the address, drag the pin or type the coordinates, or " } }
                    <button type="button" class="link-button" onclick={use_location} disabled={*locating}>
                        { if *locating { "finding you…" } else { "use my location" } }
                    </button>
                </p>
                <div class="row">
                    <div>
                        <label for="d-hour">{ "Price per hour ($)" }</label>
                        <input id="d-hour" type="text" inputmode="decimal" placeholder="4.50" value={f.price_per_hour.clone()} oninput={text(|f, v| f.price_per_hour = v)} />
                    </div>
                    <div>
                        <label for="d-day">{ "Price per day ($, optional)" }</label>
                        <input id="d-day" type="text" inputmode="decimal" placeholder="25" value={f.price_per_day.clone()} oninput={text(|f, v| f.price_per_day = v)} />
                    </div>
                </div>
                <label for="d-tz">{ "Time zone" }</label>
                <input id="d-tz" type="text" placeholder="America/Los_Angeles" value={f.timezone.clone()} oninput={text(|f, v| f.timezone = v)} />
                <label class="switch" for="d-instant" style="margin-top:1rem">
                    <input id="d-instant" type="checkbox" role="switch" checked={f.instant_book} onchange={on_instant} />
                    { "Instant book — confirm bookings as soon as they are paid" }
                </label>
                <label for="d-notes">{ "Access instructions (shown to drivers once confirmed)" }</label>
                <textarea id="d-notes" maxlength="2000" placeholder="Gate code, where to park, who to call" value={f.access_instructions.clone()} oninput={on_notes} />
                { availability_editor(&AvailabilityEditorProps { windows: f.windows.clone(), on_change: on_windows }) }
                if let Some(e) = &*error {
                    { error_banner(e.clone(), None) }
                }
                <div class="editor-actions">
                    <button type="submit" class="button" disabled={*busy}>
                        { if *busy { "Saving…" } else if id.is_some() { "Save changes" } else { "List driveway" } }
                    </button>
                    <Link<Route> to={Route::Owner} classes="button secondary">{ "Cancel" }</Link<Route>>
                </div>
            </form>
            if let Some(driveway) = id {
                { photo_manager(&PhotoManager { api: app.api(), driveway, photos, sending, error: photo_error }) }
            }
        </div>
    }
}
