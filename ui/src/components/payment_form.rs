use crate::api::PaymentIntent;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::format;
use crate::hooks::use_app;
use parkway_core::api::Booking;
use parkway_core::money::{Cents, Currency};
use parkway_core::payment::{CaptureMethod, IntentStatus};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`PaymentForm`].
#[derive(Properties, PartialEq)]
pub struct PaymentFormProps {
    /// The booking to pay for.
    pub booking: Booking,
    /// The payment went through (`false`) or the card was authorised, to be charged when the
    /// owner confirms (`true`).
    pub on_paid: Callback<bool>,
}

#[derive(Clone, PartialEq)]
enum Intent {
    Loading,
    Ready(PaymentIntent),
    Failed(String),
}

/// Where Stripe's card form is mounted.
const STRIPE_HOST: &str = "stripe-card";

/// The payment step. With Stripe (and a publishable key on the server) it is Stripe's card form;
/// with the simulated provider (a server without a Stripe key) a card form clearly labelled as
/// simulated. A decline is explained and can be retried with another card, which gets a fresh
/// payment intent from the server when the first one failed.
#[component]
pub fn PaymentForm(props: &PaymentFormProps) -> Html {
    let app = use_app();
    let intent = use_state(|| Intent::Loading);
    let card = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let attempt = use_state(|| 0u32);
    let booking_id = props.booking.id;

    {
        let (intent, app) = (intent.clone(), app.clone());
        use_effect_with((booking_id, *attempt), move |(id, _)| {
            let id = *id;
            intent.set(Intent::Loading);
            crate::platform::spawn(async move {
                intent.set(match app.api().create_payment_intent(id).await {
                    Ok(i) => Intent::Ready(i),
                    Err(e) => Intent::Failed(e.to_string()),
                });
            });
        });
    }

    let onsubmit = {
        let (app, card, busy, error, on_paid) =
            (app.clone(), card.clone(), busy.clone(), error.clone(), props.on_paid.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let number: String = card.chars().filter(|c| c.is_ascii_digit()).collect();
            busy.set(true);
            error.set(None);
            let (app, busy, error, on_paid) = (app.clone(), busy.clone(), error.clone(), on_paid.clone());
            crate::platform::spawn(async move {
                let api = app.api();
                // After a decline the server hands out a fresh intent for the next card; while
                // the first one is usable it answers with the same one.
                let result = match api.create_payment_intent(booking_id).await {
                    Ok(i) if i.simulated && number.len() < 12 => {
                        Err("Enter the card number (for this simulated payment, 4242 4242 4242 4242).".into())
                    }
                    Ok(i) if i.simulated => api
                        .pay_simulated(&i.payment_intent_id, &number)
                        .await
                        .map(|()| i.capture_method == CaptureMethod::Manual)
                        .map_err(explain),
                    Ok(i) => pay_with_stripe(&api, &i).await,
                    Err(e) => Err(explain(e)),
                };
                busy.set(false);
                match result {
                    Ok(authorised_only) => {
                        app.dispatch(crate::state::Action::Changed);
                        on_paid.emit(authorised_only);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    let body = match &*intent {
        Intent::Loading => loading("Preparing the payment…"),
        Intent::Failed(e) => {
            let attempt = attempt.clone();
            error_banner(e.clone(), Some(Callback::from(move |()| attempt.set(*attempt + 1))))
        }
        Intent::Ready(i) => {
            let currency = Currency::parse(&i.currency).unwrap_or_default();
            let amount = format::money(Cents(i.amount_cents), &currency);
            let oninput = {
                let card = card.clone();
                Callback::from(move |e: InputEvent| card.set(e.target_unchecked_into::<HtmlInputElement>().value()))
            };
            let manual = i.capture_method == CaptureMethod::Manual;
            html! {
                <form {onsubmit} class="payment" aria-describedby={i.simulated.then_some("sim-note")} novalidate=true>
                    if i.simulated {
                        <span class="simulated-label" id="sim-note">{ "Simulated — no money moves" }</span>
                        <p class="muted small">
                            { "This server has no payment provider configured, so payments are simulated. Use a test card:" }
                        </p>
                        <ul class="test-cards">
                            <li><code>{ "4242 4242 4242 4242" }</code>{ " pays" }</li>
                            <li><code>{ "4000 0000 0000 0002" }</code>{ " is declined" }</li>
                        </ul>
                        <label for="card">{ "Card number" }</label>
                        <input id="card" class="card-input" type="text" inputmode="numeric" autocomplete="cc-number"
                            placeholder="4242 4242 4242 4242" value={(*card).clone()} {oninput} />
                    } else {
                        <label for={STRIPE_HOST}>{ "Card" }</label>
                        // The page's helper mounts Stripe's form here when it appears, with the
                        // key and Stripe.js URL of the server's answer (cheaper for the wasm
                        // than decoding them and a call).
                        <div id={STRIPE_HOST} class="card-input" data-intent={i.json.clone()}></div>
                    }
                    if let Some(e) = &*error {
                        { error_banner(e.clone(), None) }
                    }
                    <button type="submit" class="button wide" disabled={*busy}>
                        { if *busy { "Paying…".to_owned() } else if manual { format!("Authorise {amount}") } else { format!("Pay {amount}") } }
                    </button>
                    if manual {
                        <p class="hint">{ "The amount is held on the card and taken only when the owner confirms." }</p>
                    }
                </form>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="pay-heading">
            <h2 id="pay-heading">{ "Payment" }</h2>
            { body }
        </section>
    }
}

/// The sentence for a failed payment request.
fn explain(e: crate::api::ClientError) -> String {
    match e.status() {
        Some(402) => {
            "Your card was declined (simulated — no money moved). Check the number or try another card.".into()
        }
        Some(409) => format!("{e} Reload My bookings to see where this booking stands."),
        _ => e.to_string(),
    }
}

/// Confirms with Stripe, then asks the server for the payment's state, the way the simulated
/// provider's answer finishes the other path: the server asks Stripe itself when its webhook has
/// not arrived yet, so once Stripe.js has confirmed one question is enough. `Ok(true)` when the
/// card was only authorised.
async fn pay_with_stripe(api: &crate::api::Api, i: &PaymentIntent) -> Result<bool, String> {
    crate::stripe::confirm(&i.client_secret).await?;
    match api.payment_state(&i.payment_intent_id).await.map(|p| p.status) {
        Ok(IntentStatus::Succeeded) => Ok(false),
        Ok(IntentStatus::RequiresCapture) => Ok(true),
        _ => Err("Stripe has not confirmed the payment yet. Check My bookings in a minute before paying again.".into()),
    }
}
