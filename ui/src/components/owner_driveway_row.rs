use crate::components::error_banner::error_banner;
use crate::format;
use crate::hooks::use_app;
use crate::route::Route;
use crate::state::ToastKind;
use parkway_core::api::{Driveway, DrivewayPatch};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`OwnerDrivewayRow`].
#[derive(Properties, PartialEq)]
pub struct OwnerDrivewayRowProps {
    /// The driveway.
    pub driveway: Rc<Driveway>,
    /// It changed or went; reload.
    pub on_changed: Callback<()>,
}

/// One of the owner's driveways: price, the instant-book switch, edit and delete.
#[component]
pub fn OwnerDrivewayRow(props: &OwnerDrivewayRowProps) -> Html {
    let app = use_app();
    let busy = use_state(|| false);
    let confirm_delete = use_state(|| false);
    let error = use_state(|| None::<String>);
    let d = props.driveway.clone();

    let on_instant = {
        let (app, busy, error, on_changed, id) =
            (app.clone(), busy.clone(), error.clone(), props.on_changed.clone(), d.id);
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            let (app, busy, error, on_changed) = (app.clone(), busy.clone(), error.clone(), on_changed.clone());
            busy.set(true);
            crate::platform::spawn(async move {
                let patch = DrivewayPatch { instant_book: Some(on), ..DrivewayPatch::default() };
                match app.api().update_driveway(id, &patch).await {
                    Ok(_) => {
                        error.set(None);
                        app.toast(ToastKind::Success, if on { "Instant book on" } else { "Instant book off" }, "");
                        on_changed.emit(());
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
                busy.set(false);
            });
        })
    };
    let on_delete = {
        let (app, busy, error, on_changed, id) =
            (app.clone(), busy.clone(), error.clone(), props.on_changed.clone(), d.id);
        let confirm_delete = confirm_delete.clone();
        Callback::from(move |_| {
            let (app, busy, error, on_changed, confirm_delete) =
                (app.clone(), busy.clone(), error.clone(), on_changed.clone(), confirm_delete.clone());
            busy.set(true);
            crate::platform::spawn(async move {
                match app.api().delete_driveway(id).await {
                    Ok(()) => {
                        app.toast(ToastKind::Success, "Driveway deleted", "");
                        on_changed.emit(());
                    }
                    Err(e) => {
                        confirm_delete.set(false);
                        error.set(Some(e.to_string()));
                    }
                }
                busy.set(false);
            });
        })
    };
    let ask = {
        let confirm_delete = confirm_delete.clone();
        Callback::from(move |_| confirm_delete.set(!*confirm_delete))
    };
    let switch_id = format!("instant-{}", d.id);
    html! {
        <li class="card driveway-row" data-driveway={d.id.to_string()}>
            <div class="driveway-row-top">
                <div>
                    <strong>{ d.title.clone() }</strong>
                    <div class="booking-meta">{ d.address.clone() }</div>
                    <div class="booking-meta">
                        { format!("{}/h", format::money(d.price_per_hour_cents, &d.currency)) }
                        if let Some(day) = d.price_per_day_cents {
                            { format!(" · {}/day", format::money(day, &d.currency)) }
                        }
                        { if d.availability.windows().is_empty() { " · always open".to_owned() } else { format!(" · {} opening windows", d.availability.windows().len()) } }
                    </div>
                </div>
                <label class="switch" for={switch_id.clone()}>
                    <input id={switch_id} type="checkbox" role="switch" checked={d.instant_book} disabled={*busy} onchange={on_instant} />
                    { "Instant book" }
                </label>
            </div>
            if let Some(e) = &*error {
                { error_banner(e.clone(), None) }
            }
            if *confirm_delete {
                <div class="confirm-cancel" role="group" aria-label="Confirm deletion">
                    <p><strong>{ format!("Delete “{}”?", d.title) }</strong>{ " Drivers will no longer find it." }</p>
                    <div class="booking-actions">
                        <button type="button" class="button small danger solid" disabled={*busy} onclick={on_delete}>{ "Delete" }</button>
                        <button type="button" class="button small secondary" onclick={ask.clone()}>{ "Keep it" }</button>
                    </div>
                </div>
            } else {
                <div class="booking-actions">
                    <Link<Route> to={Route::EditDriveway { id: d.id }} classes="button small secondary">{ "Edit" }</Link<Route>>
                    <Link<Route> to={Route::Driveway { id: d.id }} classes="button small ghost">{ "View" }</Link<Route>>
                    <button type="button" class="button small danger" onclick={ask}>{ "Delete" }</button>
                </div>
            }
        </li>
    }
}
