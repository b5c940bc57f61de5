use parkway_core::booking::{BookingStatus, PaymentStatus};
use yew::prelude::*;

/// Props of [`BookingBadges`].
#[derive(Properties, PartialEq)]
pub struct BookingBadgesProps {
    /// The booking's status.
    pub status: BookingStatus,
    /// Its payment's status.
    pub payment: PaymentStatus,
    /// The card is authorised and will be charged when the owner confirms.
    #[prop_or_default]
    pub authorised: bool,
    /// The booking is extra time added to a stay.
    #[prop_or_default]
    pub extension: bool,
}

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
/// added to a stay.
#[component]
pub fn BookingBadges(props: &BookingBadgesProps) -> Html {
    let (status, status_class) = status_text(props.status);
    let (payment, payment_class) = match (props.payment, props.authorised) {
        (PaymentStatus::Pending | PaymentStatus::Failed, true) => ("Card authorised", "badge ok-outline"),
        (p, _) => payment_text(p),
    };
    html! {
        <span class="badges">
            if props.extension {
                <span class="badge info-outline">{ "Extension" }</span>
            }
            <span class={status_class} aria-label={format!("Status: {status}")}>{ status }</span>
            <span class={payment_class} aria-label={format!("Payment: {payment}")}>{ payment }</span>
        </span>
    }
}
