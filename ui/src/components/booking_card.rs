use crate::components::booking_badges::booking_badges;
use crate::components::error_banner::error_banner;
use crate::components::extend_form::ExtendForm;
use crate::components::hold_countdown::HoldCountdown;
use crate::components::messages::MessageThread;
use crate::components::payment_form::PaymentForm;
use crate::components::review::BookingReview;
use crate::format;
use crate::hooks::use_app;
use crate::platform;
use crate::route::Route;
use crate::state::ToastKind;
use chrono::{DateTime, Duration, Utc};
use parkway_core::api::{Booking, Driveway};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::Cents;
use parkway_core::refund::{CancelledBy, refund_amount};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

/// How long an unpaid booking holds its slot (the server's default).
pub const HOLD_MINUTES: i64 = 15;

/// Who is looking at the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The driver who booked.
    Driver,
    /// The driveway's owner.
    Owner,
}

/// Props of [`BookingCard`].
#[derive(Properties, PartialEq)]
pub struct BookingCardProps {
    /// The booking.
    pub booking: Booking,
    /// Its driveway, once loaded (with access instructions for a confirmed driver).
    #[prop_or_default]
    pub driveway: Option<Rc<Driveway>>,
    /// Driver or owner view.
    pub viewer: Viewer,
    /// The booking changed here; reload the list.
    pub on_changed: Callback<()>,
    /// For the driver: where the stay this booking belongs to began, given only when the
    /// booking is the stay's last part (only the end of a stay can be moved on). Without it,
    /// no Extend.
    #[prop_or_default]
    pub stay_start: Option<DateTime<Utc>>,
    /// Open the extend form at once (the page was opened to extend this booking).
    #[prop_or_default]
    pub extend_now: bool,
    /// Open the thread at once, ready to type (the page was opened to answer a message).
    #[prop_or_default]
    pub talk_now: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Nothing,
    Pay,
    Cancel,
    Extend,
}

/// Sorts bookings by one of their times, soonest first or latest first. Every list of bookings
/// goes through this one sort: each closure given to `sort_by_key` is a sort of its own in the
/// wasm (about 3 KB each).
pub fn sort_by_time(list: &mut [&Booking], time: fn(&Booking) -> DateTime<Utc>, latest_first: bool) {
    list.sort_by(|a, b| {
        let order = time(a).cmp(&time(b));
        if latest_first { order.reverse() } else { order }
    });
}

/// What the driver gets back if they cancel now.
pub fn refund_preview(b: &Booking, by: CancelledBy, now: chrono::DateTime<Utc>) -> Option<Cents> {
    (b.payment_status == PaymentStatus::Paid).then(|| refund_amount(b.total_cents, by, b.created_at, b.start_time, now))
}

/// One booking: where and when, badges, the hold countdown, access instructions, and the
/// actions the viewer may take (pay, cancel with the refund shown first, confirm, decline).
#[component]
pub fn BookingCard(props: &BookingCardProps) -> Html {
    let app = use_app();
    let open = use_state(|| Open::Nothing);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let talk = use_state(|| props.talk_now);
    {
        // Also when the page was already open as the Reply link was followed.
        let talk = talk.clone();
        use_effect_with(props.talk_now, move |now| {
            if *now {
                talk.set(true);
            }
        });
    }
    let b = &props.booking;
    let now = Utc::now();
    let active = b.status.holds_slot() && b.end_time > now;
    let unpaid = matches!(b.payment_status, PaymentStatus::Pending | PaymentStatus::Failed);
    let hold_until = b.created_at + Duration::minutes(HOLD_MINUTES);
    // A request-to-book payment may be authorised only (charged when the owner confirms); the
    // booking says "pending" either way, so ask the payment's own status.
    let authorised = use_state(|| false);
    {
        let (authorised, app) = (authorised.clone(), app.clone());
        // After a decline the booking may still say "failed" once a later card is authorised.
        let intent = (b.status == BookingStatus::Pending && unpaid).then(|| b.stripe_payment_id.clone()).flatten();
        use_effect_with(intent, move |intent| {
            if let Some(id) = intent.clone() {
                crate::platform::spawn(async move {
                    if let Ok(p) = app.api().payment_state(&id).await {
                        authorised.set(p.status == parkway_core::payment::IntentStatus::RequiresCapture);
                    }
                });
            }
        });
    }
    let unpaid = unpaid && !*authorised;
    let on_hold = props.viewer == Viewer::Driver && b.status == BookingStatus::Pending && unpaid && hold_until > now;
    let title = props.driveway.as_ref().map(|d| d.title.clone()).unwrap_or_else(|| "Driveway".to_owned());
    // A confirmed stay that has not ended grows from its last part; the price needs the
    // driveway's rates.
    let extend_with = match (&props.driveway, props.stay_start) {
        (Some(d), Some(start))
            if props.viewer == Viewer::Driver && b.status == BookingStatus::Confirmed && b.end_time > now =>
        {
            Some((d.clone(), start))
        }
        _ => None,
    };
    {
        let (open, can) = (open.clone(), extend_with.is_some());
        use_effect_with((props.extend_now, can), move |&(asked, can)| {
            if asked && can {
                open.set(Open::Extend);
            }
        });
    }

    let act = |confirm: bool, done: &'static str| {
        let (app, busy, error, open, on_changed, id) =
            (app.clone(), busy.clone(), error.clone(), open.clone(), props.on_changed.clone(), b.id);
        Callback::from(move |_| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (app, busy, error, open, on_changed) =
                (app.clone(), busy.clone(), error.clone(), open.clone(), on_changed.clone());
            crate::platform::spawn(async move {
                let api = app.api();
                let result = if confirm { api.confirm_booking(id).await } else { api.cancel_booking(id).await };
                busy.set(false);
                match result {
                    Ok(_) => {
                        open.set(Open::Nothing);
                        app.toast(ToastKind::Success, done, "");
                        app.dispatch(crate::state::Action::Changed);
                        on_changed.emit(());
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    // The stay's messages, open under the card.
    let toggle_talk = {
        let talk = talk.clone();
        Callback::from(move |_| talk.set(!*talk))
    };
    // The receipt is the server's page, fetched with the session and opened as a page of its
    // own to print (or saved, where no window can be opened).
    let receipt = {
        let (app, error, id) = (app.clone(), error.clone(), b.id);
        Callback::from(move |_| {
            let (app, error) = (app.clone(), error.clone());
            crate::platform::spawn(async move {
                match app.api().receipt_html(id).await {
                    Ok(html) => {
                        if !platform::open_page(&html)
                            && !platform::save_file("parkway-receipt.html", "text/html", &html)
                        {
                            error.set(Some("The receipt could not be opened here.".to_owned()));
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    let paid = matches!(b.payment_status, PaymentStatus::Paid | PaymentStatus::Refunded);
    let toggle = |what: Open| {
        let open = open.clone();
        Callback::from(move |_| open.set(if *open == what { Open::Nothing } else { what }))
    };

    let by = if props.viewer == Viewer::Driver { CancelledBy::Driver } else { CancelledBy::Owner };
    let refund_text = match refund_preview(b, by, now) {
        Some(r) if r == b.total_cents => format!("Full refund: {} back.", format::money(r, &b.currency)),
        Some(r) if r == Cents::ZERO => "No refund: the slot has started.".to_owned(),
        Some(r) => {
            format!("{} back of the {} paid.", format::money(r, &b.currency), format::money(b.total_cents, &b.currency))
        }
        None => "Nothing has been charged, so there is nothing to refund.".to_owned(),
    };
    let extension = b.extension_of.is_some();
    let (cancel_label, cancel_question, cancel_done) = match (props.viewer, b.status, extension) {
        (Viewer::Owner, BookingStatus::Pending, false) => ("Decline", "Decline this request?", "Request declined"),
        (Viewer::Owner, BookingStatus::Pending, true) => {
            ("Decline", "Decline this extension? The stay keeps its current end.", "Extension declined")
        }
        (Viewer::Owner, ..) => {
            ("Cancel booking", "Cancel this booking? The driver is refunded in full.", "Booking cancelled")
        }
        (Viewer::Driver, _, true) => {
            ("Cancel extension", "Cancel the extra time? The rest of your stay is kept.", "Extension cancelled")
        }
        (Viewer::Driver, ..) => ("Cancel booking", "Cancel this booking?", "Booking cancelled"),
    };
    // An extension is a booking of its own; the card says which stay it makes longer.
    let until = format::end_time(b.end_time, b.start_time);
    let extension_line = match (props.viewer, b.status) {
        _ if !extension => None,
        (Viewer::Driver, _) => Some(format!("Extends your stay to {until}.")),
        (Viewer::Owner, BookingStatus::Pending) => {
            Some(format!("Extension request: the driver asks to stay on until {until}."))
        }
        (Viewer::Owner, _) => Some(format!("Extends the driver's stay to {until}.")),
    };
    let extended = {
        let (app, open, error, on_changed) = (app.clone(), open.clone(), error.clone(), props.on_changed.clone());
        Callback::from(move |_: Booking| {
            open.set(Open::Nothing);
            error.set(None);
            app.dispatch(crate::state::Action::Changed);
            on_changed.emit(());
        })
    };
    // Paid from the card: the form has done its work, so it closes and the card's badges say
    // where the booking stands now (the server's notification says it too).
    let on_paid = {
        let (open, on_changed) = (open.clone(), props.on_changed.clone());
        Callback::from(move |_authorised: bool| {
            open.set(Open::Nothing);
            on_changed.emit(());
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(Open::Nothing))
    };
    let set_error = {
        let error = error.clone();
        Callback::from(move |e: Option<String>| error.set(e))
    };

    html! {
        <li class="card booking" data-booking={b.id.to_string()} data-status={b.status.as_str()}>
            <div class="booking-top">
                <div>
                    if props.viewer == Viewer::Driver {
                        <Link<Route> to={Route::Driveway { id: b.driveway }} classes="booking-title">{ title.clone() }</Link<Route>>
                    } else {
                        <span class="booking-title">{ title.clone() }</span>
                    }
                    <div class="booking-when">{ format::slot(b.start_time, b.end_time) }</div>
                    if let Some(line) = extension_line {
                        <div class="booking-extends">{ line }</div>
                    }
                    <div class="booking-meta">
                        { format!("{} · {}", format::money(b.total_cents, &b.currency), format::duration((b.end_time - b.start_time).num_minutes())) }
                        if let Some(d) = &props.driveway {
                            { format!(" · {}", d.address) }
                        }
                    </div>
                </div>
                { booking_badges(b.status, b.payment_status, *authorised, extension) }
            </div>
            if let Some(v) = &b.vehicle {
                <p class="booking-meta vehicle">{ format!("Vehicle: {}", v.describe()) }</p>
            }
            if let Some(notes) = &b.special_requests {
                <p class="booking-meta">{ format!("Requests: {notes}") }</p>
            }
            if on_hold {
                <HoldCountdown until={hold_until} />
            }
            if props.viewer == Viewer::Driver && b.status == BookingStatus::Confirmed && b.end_time > now {
                { match props.driveway.as_ref().and_then(|d| d.access_instructions.clone()) {
                    Some(text) => html! { <div class="instructions"><strong>{ "Access instructions" }</strong>{ text }</div> },
                    None => html! { <p class="booking-meta">{ "The owner has not added access instructions." }</p> },
                } }
            }
            if props.viewer == Viewer::Driver && b.status == BookingStatus::Pending && !unpaid {
                <p class="booking-meta">
                    { if *authorised { "Card authorised — charged when the owner confirms." } else { "Paid — waiting for the owner to confirm." } }
                </p>
            }
            if let Some(e) = &*error {
                { error_banner(e.clone(), None) }
            }
            if *open == Open::Pay {
                <PaymentForm booking={b.clone()} on_paid={on_paid} />
            }
            if let (Open::Extend, Some((driveway, stay_start))) = (*open, extend_with.clone()) {
                <ExtendForm booking={b.clone()} {stay_start} {driveway} on_extended={extended}
                    on_close={close} on_error={set_error} on_stale={props.on_changed.clone()} />
            }
            if *open == Open::Cancel {
                <div class="confirm-cancel" role="group" aria-label="Confirm cancellation">
                    <p><strong>{ cancel_question }</strong></p>
                    <p>{ refund_text }</p>
                    <div class="booking-actions">
                        <button type="button" class="button small danger solid" disabled={*busy} onclick={act(false, cancel_done)}>
                            { if *busy { "Working…" } else { cancel_label } }
                        </button>
                        <button type="button" class="button small secondary" onclick={toggle(Open::Cancel)}>{ "Keep it" }</button>
                    </div>
                </div>
            }
            if active && *open == Open::Nothing {
                <div class="booking-actions">
                    if on_hold {
                        <button type="button" class="button small" onclick={toggle(Open::Pay)}>{ "Pay now" }</button>
                    }
                    if extend_with.is_some() {
                        <button type="button" class="button small" onclick={toggle(Open::Extend)}>{ "Extend" }</button>
                    }
                    if props.viewer == Viewer::Owner && b.status == BookingStatus::Pending {
                        <button type="button" class="button small" disabled={*busy} onclick={act(true, "Booking confirmed")}>
                            { if *busy { "Working…" } else { "Confirm" } }
                        </button>
                    }
                    <button type="button" class="button small danger" onclick={toggle(Open::Cancel)}>{ cancel_label }</button>
                </div>
            }
            if b.status == BookingStatus::Completed {
                <BookingReview booking={b.id} viewer={props.viewer} />
            }
            <div class="booking-actions">
                <button type="button" class="button small ghost" aria-expanded={talk.to_string()} onclick={toggle_talk}>
                    { "Messages" }
                </button>
                if paid && *open == Open::Nothing {
                    <button type="button" class="button small ghost" onclick={receipt}>{ "Receipt" }</button>
                }
            </div>
            if *talk {
                <MessageThread booking={b.id} first={b.extension_of} focus={props.talk_now} />
            }
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parkway_core::money::Currency;
    use uuid::Uuid;

    fn booking(paid: bool, start_in_h: i64, booked_h_ago: i64) -> Booking {
        let now = Utc::now();
        Booking {
            id: Uuid::nil(),
            driveway: Uuid::nil(),
            driver: Uuid::nil(),
            start_time: now + Duration::hours(start_in_h),
            end_time: now + Duration::hours(start_in_h + 2),
            total_cents: Cents(1001),
            currency: Currency::usd(),
            status: BookingStatus::Confirmed,
            payment_status: if paid { PaymentStatus::Paid } else { PaymentStatus::Pending },
            stripe_payment_id: None,
            special_requests: None,
            driver_location: None,
            vehicle: None,
            extension_of: None,
            created_at: now - Duration::hours(booked_h_ago),
            updated_at: now,
        }
    }

    #[test]
    fn refund_preview_follows_the_policy() {
        let now = Utc::now();
        assert_eq!(refund_preview(&booking(true, 48, 5), CancelledBy::Driver, now), Some(Cents(1001)));
        assert_eq!(refund_preview(&booking(true, 3, 5), CancelledBy::Driver, now), Some(Cents(500)));
        assert_eq!(refund_preview(&booking(true, 3, 5), CancelledBy::Owner, now), Some(Cents(1001)));
        assert_eq!(refund_preview(&booking(false, 3, 5), CancelledBy::Driver, now), None);
    }
}
