use crate::api::ClientError;
use crate::components::empty_state::empty_state;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::forms::auth::sentence;
use crate::hooks::{AppContext, Load, use_app, use_load};
use crate::platform;
use crate::route::Route;
use parkway_core::api::Role;
use parkway_core::vehicle::{MAX_LABEL_CHARS, MAX_VEHICLES, Plate, Vehicle, VehicleFields};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

/// The driver's vehicles: the plate the owner checks at the driveway, one of them the default
/// that bookings name unless another is picked.
#[component]
pub fn VehiclesPage() -> Html {
    let app = use_app();
    use_effect_with((), |_| platform::set_title("Vehicles"));
    let session = app.state.session.clone();
    let token = session.as_ref().map(|s| s.token.clone());
    let (list, reload) = {
        let app = app.clone();
        use_load(token, move |_| async move { app.api().vehicles().await })
    };
    let plate = use_state(String::new);
    let label = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);

    if !session.as_ref().is_some_and(|s| s.is(Role::Driver)) {
        return html! {
            <div class="page narrow">
                <h1>{ "Vehicles" }</h1>
                <p>{ "Sign in with a driver account to keep the vehicles you park." }</p>
                <Link<Route> to={Route::SignIn} classes="button">{ "Sign in" }</Link<Route>>
            </div>
        };
    }

    // Runs a change, then shows the list again or says what went wrong.
    let act: Act = {
        let (busy, error, reload) = (busy.clone(), error.clone(), reload.clone());
        Rc::new(move |work: Work| {
            let (busy, error, reload) = (busy.clone(), error.clone(), reload.clone());
            busy.set(true);
            crate::platform::spawn(async move {
                match work.await {
                    Ok(()) => {
                        error.set(None);
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(sentence(&e.to_string()))),
                }
                busy.set(false);
            });
        })
    };

    let onsubmit = {
        let (app, plate, label, error, act) = (app.clone(), plate.clone(), label.clone(), error.clone(), act.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // The same rule as the server's, so a typo is named before anything is sent.
            if let Err(why) = Plate::parse(&plate) {
                return error.set(Some(format!("Plate: {why}.")));
            }
            let fields = VehicleFields {
                plate: (*plate).clone(),
                label: Some(label.trim().to_owned()).filter(|l| !l.is_empty()),
                is_default: false,
            };
            let (app, plate, label) = (app.clone(), plate.clone(), label.clone());
            act(Box::pin(async move {
                app.api().add_vehicle(&fields).await?;
                plate.set(String::new());
                label.set(String::new());
                Ok(())
            }));
        })
    };
    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };

    let body = match &list {
        Load::Loading => loading("Loading your vehicles…"),
        Load::Failed(e) => error_banner(e.clone(), Some(reload.clone())),
        Load::Ready(items) if items.is_empty() => html! {
            { empty_state("No vehicles yet.", html! {
                <p>{ "Add the car you park, so owners can check its plate when you arrive." }</p>
            }) }
        },
        Load::Ready(items) => html! {
            <ul class="vehicle-list" aria-label="Your vehicles">
                { for items.iter().map(|v| vehicle_row(v, &app, &act, *busy)) }
            </ul>
        },
    };
    let full = matches!(&list, Load::Ready(items) if items.len() >= MAX_VEHICLES);
    html! {
        <div class="page narrow">
            <div class="page-head"><h1>{ "Vehicles" }</h1></div>
            { body }
            if let Some(e) = &*error {
                { error_banner(e.clone(), None) }
            }
            if full {
                <p class="hint">{ format!("You have {MAX_VEHICLES} vehicles, the most Parkway keeps. Remove one to add another.") }</p>
            } else {
                <form class="card" {onsubmit} aria-labelledby="add-vehicle-h" novalidate=true>
                    <h2 id="add-vehicle-h">{ "Add a vehicle" }</h2>
                    <label for="v-plate">{ "Plate" }</label>
                    <input id="v-plate" type="text" autocomplete="off" maxlength="20" required=true
                        value={(*plate).clone()} oninput={input(&plate)} aria-describedby="v-plate-hint" />
                    <p class="hint" id="v-plate-hint">{ "Letters and digits as on the plate; spaces and dashes are fine." }</p>
                    <label for="v-label">{ "Name (optional)" }</label>
                    <input id="v-label" type="text" maxlength={MAX_LABEL_CHARS.to_string()} placeholder="e.g. Blue hatchback"
                        value={(*label).clone()} oninput={input(&label)} />
                    <button type="submit" class="button" disabled={*busy}>{ if *busy { "Saving…" } else { "Add vehicle" } }</button>
                </form>
            }
        </div>
    }
}

/// A change to send.
type Work = Pin<Box<dyn Future<Output = Result<(), ClientError>>>>;
/// Sends a change and shows its outcome.
type Act = Rc<dyn Fn(Work)>;

/// One vehicle: its plate and name, whether it is the default, and what can be done with it.
fn vehicle_row(v: &Vehicle, app: &AppContext, act: &Act, busy: bool) -> Html {
    let make_default = {
        let (app, act, v) = (app.clone(), act.clone(), v.clone());
        Callback::from(move |_| {
            let (app, v) = (app.clone(), v.clone());
            let fields = VehicleFields { plate: v.plate.to_string(), label: v.label.clone(), is_default: true };
            act(Box::pin(async move { app.api().update_vehicle(v.id, &fields).await.map(drop) }));
        })
    };
    let remove = {
        let (app, act, id) = (app.clone(), act.clone(), v.id);
        Callback::from(move |_| {
            let app = app.clone();
            act(Box::pin(async move { app.api().delete_vehicle(id).await }));
        })
    };
    html! {
        <li class="card vehicle" key={v.id.to_string()}>
            <div>
                <strong class="plate">{ v.plate.to_string() }</strong>
                if let Some(l) = &v.label {
                    <span class="muted">{ format!(" · {l}") }</span>
                }
                if v.is_default {
                    <span class="badge ok">{ "Default" }</span>
                }
            </div>
            <div class="actions">
                if !v.is_default {
                    <button type="button" class="button small ghost" onclick={make_default} disabled={busy}
                        aria-label={format!("Make {} the default", v.plate)}>{ "Make default" }</button>
                }
                <button type="button" class="button small ghost" onclick={remove} disabled={busy}
                    aria-label={format!("Remove {}", v.plate)}>{ "Remove" }</button>
            </div>
        </li>
    }
}
