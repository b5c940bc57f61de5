use parkway_core::booking::{BookingStatus, PaymentStatus};
use yew::prelude::*;

fn status_text(s: BookingStatus) -> (&'static str, &'static str) {
    match s {
        BookingStatus::Pending => ("Pending", "badge warn"),
        BookingStatus::Confirmed => ("Confirmed", "badge ok"),
        BookingStatus::Cancelled => ("Cancelled", "badge muted"),
        BookingStatus::Completed => ("Completed", "badge info"),
    }
}

fn payment_text(p: PaymentStatus) -> (&'static str, &'static str) {
    match p {
        PaymentStatus::Pending => ("Unpaid", "badge warn-outline"),
        PaymentStatus::Paid => ("Paid", "badge ok-outline"),
        PaymentStatus::Failed => ("Payment failed", "badge error"),
        PaymentStatus::Refunded => ("Refunded", "badge muted-outline"),
    }
}

/// The booking's status and payment as two badges, after an "Extension" badge for extra time
/// added to a stay (`extension`); an `authorised` card shows as such while unpaid. A plain function rather than a component: it has no state, and each
/// component costs the wasm its own copy of Yew's machinery.
pub fn booking_badges(status: BookingStatus, payment: PaymentStatus, authorised: bool, extension: bool) -> Html {
    let (status, status_class) = status_text(status);
    let (payment, payment_class) = match (payment, authorised) {
        (PaymentStatus::Pending | PaymentStatus::Failed, true) => ("Card authorised", "badge ok-outline"),
        (p, _) => payment_text(p),
    };
    html! {
        <span class="badges">
            if extension {
                <span class="badge info-outline">{ "Extension" }</span>
            }
            <span class={status_class} aria-label={format!("Status: {status}")}>{ status }</span>
            <span class={payment_class} aria-label={format!("Payment: {payment}")}>{ payment }</span>
        </span>
    }
}
