use crate::format;
use crate::forms::extend::ExtendForm as Form;
use crate::hooks::use_app;
use crate::state::ToastKind;
use chrono::{DateTime, Local, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, Driveway, ExtendBooking};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::Cents;
use parkway_core::pricing::Rate;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`ExtendForm`].
#[derive(Properties, PartialEq)]
pub struct ExtendFormProps {
    /// The last part of the stay (the booking, or its latest extension).
    pub booking: Booking,
    /// Where the stay began: the extra is priced on the whole stay.
    pub stay_start: DateTime<Utc>,
    /// The driveway, for its rates.
    pub driveway: Rc<Driveway>,
    /// The extension was made.
    pub on_extended: Callback<Booking>,
    /// The driver keeps the time they have.
    pub on_close: Callback<()>,
    /// A failure to show in the card's banner, or `None` to clear it.
    pub on_error: Callback<Option<String>>,
    /// The driveway's price changed: reload it.
    pub on_stale: Callback<()>,
}

/// The inline form that makes a stay longer: until when, the extra it costs (priced by
/// `parkway-core` exactly as the server prices it), and, when that time is taken, how far the
/// stay can still go.
#[component]
pub fn ExtendForm(props: &ExtendFormProps) -> Html {
    let app = use_app();
    let b = &props.booking;
    let form = use_state(|| Form::after(b.end_time, &Local));
    let sending = use_state(|| false);
    // From a `slot_taken` answer: the furthest end that still fits.
    let free_until = use_state(|| None::<DateTime<Utc>>);
    let input = use_node_ref();
    // Opening the form is a deliberate step (the Extend button, or a notification's Extend):
    // the caret goes where the answer is typed.
    {
        let input = input.clone();
        use_effect_with((), move |_| {
            if let Some(el) = input.cast::<HtmlInputElement>() {
                let _ = el.focus();
            }
        });
    }
    let d = &props.driveway;
    let rate = Rate { per_hour: d.price_per_hour_cents, per_day: d.price_per_day_cents };
    let priced = form.price(&rate, props.stay_start, b.end_time, &Local);

    let onchange = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            form.set(Form { until: e.target_unchecked_into::<HtmlInputElement>().value() });
        })
    };
    let use_latest = {
        let (form, free_until) = (form.clone(), free_until.clone());
        Callback::from(move |_| {
            if let Some(end) = *free_until {
                form.set(Form::until(end, &Local));
                free_until.set(None);
            }
        })
    };
    let onsubmit = {
        let (app, sending, free_until, form) = (app.clone(), sending.clone(), free_until.clone(), form.clone());
        let (id, end) = (b.id, b.end_time);
        let (on_extended, on_error, on_stale) =
            (props.on_extended.clone(), props.on_error.clone(), props.on_stale.clone());
        let stay_start = props.stay_start;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *sending {
                return;
            }
            let extra = match form.price(&rate, stay_start, end, &Local) {
                Ok(x) => x,
                Err(e) => return on_error.emit(Some(e.to_string())),
            };
            on_error.emit(None);
            free_until.set(None);
            sending.set(true);
            // One key per attempt: retries of this attempt replay it, a new attempt gets a new one.
            let key = Uuid::new_v4().to_string();
            let req = ExtendBooking { end_time: extra.end, expected_extra_cents: Some(extra.price) };
            let (app, sending, free_until) = (app.clone(), sending.clone(), free_until.clone());
            let (on_extended, on_error, on_stale) = (on_extended.clone(), on_error.clone(), on_stale.clone());
            crate::platform::spawn(async move {
                let result = app.api().extend_booking(id, &req, &key).await;
                sending.set(false);
                match result {
                    Ok(ext) => {
                        let (title, message) = done_sentence(&ext, end);
                        app.toast(ToastKind::Success, title, message);
                        on_extended.emit(ext);
                    }
                    Err(e) => match (e.code(), e.latest_end()) {
                        (Some(ErrorCode::SlotTaken), Some(latest)) => free_until.set(Some(latest)),
                        (Some(ErrorCode::SlotTaken), None) => on_error.emit(Some(
                            "The driveway is not free right after your stay, so it cannot be extended.".to_owned(),
                        )),
                        (Some(ErrorCode::PriceMismatch), _) => {
                            on_stale.emit(());
                            on_error.emit(Some(
                                "The price changed since this page loaded. Check the new extra and try again."
                                    .to_owned(),
                            ));
                        }
                        _ if e.status() == Some(401) => app.report("Extending failed", &e),
                        _ => on_error.emit(Some(e.to_string())),
                    },
                }
            });
        })
    };

    let ids = |what: &str| format!("extend-{what}-{}", b.id);
    let (until_id, heading_id, price_id) = (ids("until"), ids("heading"), ids("price"));
    let current_end = format::end_time(b.end_time, Utc::now());
    let submit = match &priced {
        _ if *sending => "Extending…".to_owned(),
        Ok(x) if x.price == Cents::ZERO => "Extend at no extra cost".to_owned(),
        Ok(x) => format!("Extend for {}", format::money(x.price, &b.currency)),
        Err(_) => "Extend".to_owned(),
    };
    html! {
        <form class="extend-form" {onsubmit} aria-labelledby={heading_id.clone()} novalidate=true>
            <p id={heading_id}><strong>{ "Extend your stay" }</strong></p>
            <label for={until_id.clone()}>{ "Stay until" }</label>
            <input id={until_id} ref={input} type="datetime-local" value={form.until.clone()} {onchange}
                aria-describedby={price_id.clone()} />
            <p class="hint">{ format!("Your stay ends at {current_end} now. Times are in your local time.") }</p>
            <div class="total" id={price_id} aria-live="polite">
                { match &priced {
                    Ok(x) => html! { <>
                        <span>{ format!("Extra for {}", format::duration(x.minutes)) }</span>
                        <strong data-testid="extra">{ format::money(x.price, &b.currency) }</strong>
                    </> },
                    Err(e) => html! { <span class="field-error">{ e.to_string() }</span> },
                } }
            </div>
            if let Some(latest) = *free_until {
                <div class="notice" role="status">
                    <p>{ format!("That time is taken. The driveway is free until {} only.", format::end_time(latest, b.end_time)) }</p>
                    <button type="button" class="button small secondary" onclick={use_latest}>
                        { format!("Stay until {}", format::end_time(latest, b.end_time)) }
                    </button>
                </div>
            }
            <div class="booking-actions">
                <button type="submit" class="button small" disabled={*sending || priced.is_err()}>{ submit }</button>
                <button type="button" class="button small secondary" onclick={props.on_close.reform(|_| ())}>
                    { "Keep my time" }
                </button>
            </div>
        </form>
    }
}

/// The toast once the extension is made: what happens next depends on whether there is
/// anything to pay and whether the owner must answer.
fn done_sentence(ext: &Booking, old_end: DateTime<Utc>) -> (&'static str, String) {
    let until = format::end_time(ext.end_time, old_end);
    match (ext.status, ext.payment_status) {
        (BookingStatus::Confirmed, _) => ("Stay extended", format!("Your stay now ends at {until}.")),
        (_, PaymentStatus::Paid) => {
            ("Extension requested", format!("The owner has been asked to let you stay until {until}."))
        }
        _ => (
            "Extension booked",
            format!(
                "Pay {} within 15 minutes to keep the time until {until}.",
                format::money(ext.total_cents, &ext.currency)
            ),
        ),
    }
}
