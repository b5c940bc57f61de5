use crate::api::outbox::{Booked, OutboxItem};
use crate::components::error_banner::error_banner;
use crate::components::payment_form::PaymentForm;
use crate::components::push_offer::PushOffer;
use crate::format;
use crate::forms::auth::sentence;
use crate::forms::booking::{BookingForm as Form, QuickDuration};
use crate::hooks::{Load, use_app, use_load};
use crate::route::Route;
use crate::state::Action;
use chrono::{DateTime, Local, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, Driveway, Role};
use parkway_core::pricing::Rate;
use parkway_core::refund::POLICY_SENTENCE;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew_router::prelude::*;

/// Props of [`BookingForm`].
#[derive(Properties, PartialEq)]
pub struct BookingFormProps {
    /// The driveway to book.
    pub driveway: Rc<Driveway>,
    /// A slot to start from (the search's time window).
    #[prop_or_default]
    pub slot: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The server says the driveway changed (price); reload it.
    pub on_stale: Callback<()>,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Sending,
    Paying(Booking),
    Done(Booking, bool),
    /// Saved on the device (the app, offline); it books when the network is back.
    Queued(OutboxItem),
}

/// The booking form: date, start and end, quick durations, special requests, the live price
/// from `parkway-core`, the cancellation policy, then the payment step.
#[component]
pub fn BookingForm(props: &BookingFormProps) -> Html {
    let app = use_app();
    let form = use_state(|| match props.slot {
        Some((s, e)) if s > Utc::now() => Form::for_slot(s, e, &Local),
        _ => Form::starting_soon(Utc::now(), 120, &Local),
    });
    let phase = use_state(|| Phase::Editing);
    let error = use_state(|| None::<String>);
    let d = props.driveway.clone();
    let rate = Rate { per_hour: d.price_per_hour_cents, per_day: d.price_per_day_cents };
    let session = app.state.session.clone();

    let edit = |apply: fn(&mut Form, String)| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut f = (*form).clone();
            apply(&mut f, e.target_unchecked_into::<HtmlInputElement>().value());
            form.set(f);
        })
    };
    let quick = |q: QuickDuration| {
        let form = form.clone();
        Callback::from(move |_| {
            let mut f = (*form).clone();
            if f.apply(q).is_ok() {
                form.set(f);
            }
        })
    };
    // The driver's vehicles, so they can say which one parks (the default is picked).
    let (vehicles, _) = {
        let app = app.clone();
        let driver = session.as_ref().filter(|s| s.is(Role::Driver)).map(|s| s.token.clone());
        use_load(driver, move |driver| async move {
            match driver {
                Some(_) => app.api().vehicles().await,
                None => Ok(Vec::new()),
            }
        })
    };
    let on_vehicle = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut f = (*form).clone();
            f.vehicle = e.target_unchecked_into::<HtmlSelectElement>().value().parse().ok();
            form.set(f);
        })
    };
    let on_notes = {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut f = (*form).clone();
            f.special_requests = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            form.set(f);
        })
    };

    let onsubmit = {
        let (form, phase, error, app, d, on_stale) =
            (form.clone(), phase.clone(), error.clone(), app.clone(), d.clone(), props.on_stale.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *phase != Phase::Editing {
                return;
            }
            let req = match form.request(d.id, &rate, &Local, Utc::now()) {
                Ok(r) => r,
                Err(e) => return error.set(Some(e.to_string())),
            };
            error.set(None);
            phase.set(Phase::Sending);
            // One key per attempt: retries of this attempt replay it, a new attempt gets a new one.
            let key = Uuid::new_v4().to_string();
            let label = format!("{}, {}", d.title, d.address);
            let Some(user) = app.state.session.as_ref().map(|s| s.user.id) else { return };
            let (phase, error, app, on_stale) = (phase.clone(), error.clone(), app.clone(), on_stale.clone());
            crate::platform::spawn(async move {
                match app.api().book(&req, &key, &label, user).await {
                    Ok(Booked::Now(b)) => {
                        app.dispatch(Action::Changed);
                        phase.set(Phase::Paying(b));
                    }
                    Ok(Booked::Queued(item)) => {
                        app.dispatch(Action::OutboxChanged(item.clone()));
                        phase.set(Phase::Queued(item));
                    }
                    Err(e) => {
                        phase.set(Phase::Editing);
                        let message = match e.code() {
                            Some(ErrorCode::PriceMismatch) => {
                                on_stale.emit(());
                                "The price changed since this page loaded. Check the new total and book again."
                                    .to_owned()
                            }
                            Some(ErrorCode::SlotTaken) => {
                                let taken = match &e {
                                    crate::api::ClientError::Api { conflicts, .. } if !conflicts.is_empty() => {
                                        let times: Vec<String> =
                                            conflicts.iter().map(|c| format::slot(c.start(), c.end())).collect();
                                        format!(" (booked: {})", times.join("; "))
                                    }
                                    _ => String::new(),
                                };
                                format!("Someone has booked part of that time{taken}. Pick another time.")
                            }
                            Some(ErrorCode::Unavailable) => {
                                "The driveway is closed for part of that time. Check its opening hours.".to_owned()
                            }
                            Some(ErrorCode::SelfBooking) => {
                                "This is your own driveway, so you cannot book it.".to_owned()
                            }
                            _ if e.status() == Some(401) => {
                                app.report("Booking failed", &e);
                                "Sign in again to book.".to_owned()
                            }
                            _ => sentence(&e.to_string()),
                        };
                        error.set(Some(message));
                    }
                }
            });
        })
    };

    match &*phase {
        Phase::Paying(b) => {
            let on_paid = {
                let (phase, b) = (phase.clone(), b.clone());
                Callback::from(move |authorised: bool| phase.set(Phase::Done(b.clone(), authorised)))
            };
            return html! {
                <div class="booking-steps">
                    <div class="notice ok" role="status">
                        { format!("Booked {} — {}. ", format::slot(b.start_time, b.end_time), format::money(b.total_cents, &b.currency)) }
                        { "Pay now to keep the slot; it is held for 15 minutes." }
                    </div>
                    <PaymentForm booking={b.clone()} {on_paid} />
                </div>
            };
        }
        Phase::Done(b, authorised) => {
            let heading = if *authorised { "Card authorised" } else { "Payment received" };
            let next = if *authorised {
                "The owner has been asked to confirm; your card is charged only when they do. You will be told here as soon as they answer."
            } else if d.instant_book {
                "Your booking is confirmed. The access instructions are in My bookings."
            } else {
                "The owner has been asked to confirm. You will be told here as soon as they answer."
            };
            return html! {
                <section class="card success-card" role="status" aria-live="polite">
                    <span class="tick" aria-hidden="true">{ "✓" }</span>
                    <h2>{ heading }</h2>
                    <p>{ format!("{} at {}", format::slot(b.start_time, b.end_time), d.title) }</p>
                    <p class="muted">{ next }</p>
                    <PushOffer />
                    <Link<Route> to={Route::Bookings} classes="button">{ "See my bookings" }</Link<Route>>
                </section>
            };
        }
        Phase::Queued(item) => {
            return html! {
                <section class="card success-card queued" role="status" aria-live="polite">
                    <span class="tick" aria-hidden="true">{ "⇅" }</span>
                    <h2>{ "Saved offline — will book when you are back online" }</h2>
                    <p>{ format!("{} at {}", format::slot(item.request.start(), item.request.end()), d.title) }</p>
                    <p class="muted">
                        { "Parkway could not be reached, so this request waits on your device and is sent as soon as the network is back. " }
                        { "You will be told whether it went through; until it is sent you can still cancel it in My bookings." }
                    </p>
                    <PushOffer />
                    <Link<Route> to={Route::Bookings} classes="button">{ "See my bookings" }</Link<Route>>
                </section>
            };
        }
        Phase::Editing | Phase::Sending => {}
    }

    let priced = form.price(&rate, &Local, Utc::now());
    let pressed = form.quick_duration();
    let sending = *phase == Phase::Sending;
    let can_book = session.as_ref().is_some_and(|s| s.is(Role::Driver));
    html! {
        <form class="card booking-form" {onsubmit} aria-labelledby="book-heading" novalidate=true>
            <h2 id="book-heading">{ "Book this driveway" }</h2>
            <div class="row">
                <div>
                    <label for="b-start-date">{ "Date" }</label>
                    <input id="b-start-date" type="date" value={form.start_date.clone()}
                        onchange={edit(|f, v| f.move_start(Some(v), None))} />
                </div>
                <div>
                    <label for="b-start-time">{ "Start" }</label>
                    <input id="b-start-time" type="time" step="900" value={form.start_time.clone()}
                        onchange={edit(|f, v| f.move_start(None, Some(v)))} />
                </div>
            </div>
            <div class="quick" role="group" aria-label="Quick durations">
                { for QuickDuration::ALL.into_iter().map(|q| html! {
                    <button type="button" aria-pressed={(pressed == Some(q)).to_string()} onclick={quick(q)}>{ q.label() }</button>
                }) }
            </div>
            <div class="row">
                <div>
                    <label for="b-end-date">{ "End date" }</label>
                    <input id="b-end-date" type="date" value={form.end_date.clone()} onchange={edit(|f, v| f.end_date = v)} />
                </div>
                <div>
                    <label for="b-end-time">{ "End" }</label>
                    <input id="b-end-time" type="time" step="900" value={form.end_time.clone()} onchange={edit(|f, v| f.end_time = v)} />
                </div>
            </div>
            <p class="hint">{ "Times are in your local time. Pick a later end date to book several days." }</p>
            if let Load::Ready(list) = &vehicles {
                if list.is_empty() {
                    if session.as_ref().is_some_and(|s| s.is(Role::Driver)) {
                        <p class="hint">
                            { "Add your vehicle so the owner can check its plate: " }
                            <Link<Route> to={Route::Vehicles}>{ "Vehicles" }</Link<Route>>
                        </p>
                    }
                } else {
                    <label for="b-vehicle">{ "Vehicle" }</label>
                    <select id="b-vehicle" onchange={on_vehicle}>
                        { for list.iter().map(|v| {
                            let chosen = form.vehicle.map_or(v.is_default, |id| id == v.id);
                            let name = match &v.label { Some(l) => format!("{} — {l}", v.plate), None => v.plate.to_string() };
                            html! { <option value={v.id.to_string()} selected={chosen}>{ name }</option> }
                        }) }
                    </select>
                }
            }
            <label for="b-notes">{ "Special requests (optional)" }</label>
            <textarea id="b-notes" maxlength="1000" placeholder="e.g. I drive a large van" value={form.special_requests.clone()} oninput={on_notes} />
            <div class="total" aria-live="polite">
                { match &priced {
                    Ok(p) => html! { <>
                        <span>{ format!("Total for {}", format::duration(p.minutes)) }</span>
                        <strong data-testid="total">{ format::money(p.total, &d.currency) }</strong>
                    </> },
                    Err(e) => html! { <span class="field-error">{ e.to_string() }</span> },
                } }
            </div>
            <p class="policy">{ POLICY_SENTENCE }</p>
            if let Some(e) = &*error {
                { error_banner(e.clone(), None) }
            }
            if can_book {
                <button type="submit" class="button wide" disabled={sending || priced.is_err()}>
                    { if sending { "Booking…".to_owned() } else if d.instant_book { "Book and pay".to_owned() } else { "Request to book".to_owned() } }
                </button>
            } else if session.is_some() {
                <div class="notice">{ "Your account is for owners only. Sign up with a driver account to book." }</div>
            } else {
                <Link<Route> to={Route::SignIn} classes="button wide">{ "Sign in to book" }</Link<Route>>
            }
        </form>
    }
}
