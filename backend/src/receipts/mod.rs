//! A booking's receipt, as a page to print or as a PDF.
//!
//! Both are drawn from one [`Sheet`]: the receipt's facts put into words once, in order, so
//! the page and the PDF always say the same thing.

/// The receipt as an HTML page to print.
pub mod html;
/// The receipt as a PDF with its font embedded.
pub mod pdf;

use crate::config::Config;
use crate::store::receipts::ReceiptFacts;
use chrono_tz::Tz;
use parkway_core::receipt::{IncludedTax, Platform, Receipt, money_lines};

/// The receipt of a paid booking, from what the store read and the platform's settings.
pub fn receipt(facts: ReceiptFacts, config: &Config) -> Receipt {
    let lines = money_lines(&facts.payments, facts.total, facts.refunded);
    Receipt {
        number: facts.number,
        issued_at: facts.issued_at,
        booking: facts.booking,
        platform: Platform { name: config.platform_name.clone(), address: config.platform_address.clone() },
        provider: facts.owner_name,
        driveway_title: facts.title,
        driveway_address: facts.address,
        start: facts.start,
        end: facts.end,
        // Driveways are stored with a zone their validation accepted; UTC only stands in for
        // a zone this build's database no longer knows.
        timezone: facts.timezone.parse().unwrap_or(Tz::UTC),
        // The plate the booking kept of the vehicle that parks; both renderings show a
        // "Vehicle" row when there is one.
        vehicle: facts.vehicle_plate,
        currency: facts.currency,
        lines,
        tax: (!config.tax_rate.is_none())
            .then(|| IncludedTax { label: config.tax_label.clone(), rate: config.tax_rate }),
    }
}

/// A label and its value: a row of the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What the row is.
    pub label: String,
    /// Its value, as printed.
    pub value: String,
}

impl Row {
    fn new(label: impl Into<String>, value: impl Into<String>) -> Row {
        Row { label: label.into(), value: value.into() }
    }
}

/// A receipt in words, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// `Receipt 2026-000042`.
    pub heading: String,
    /// The platform's name, then its address lines.
    pub issuer: Vec<String>,
    /// What was booked, where, when and from whom.
    pub details: Vec<Row>,
    /// Each payment and refund.
    pub lines: Vec<Row>,
    /// Payments minus refunds.
    pub total: Row,
    /// The tax included in the total, when the platform charges one.
    pub tax: Option<Row>,
    /// The closing sentence.
    pub footer: String,
}

impl Sheet {
    /// The receipt's words.
    pub fn of(r: &Receipt) -> Sheet {
        let mut issuer = vec![r.platform.name.clone()];
        // An address set in one environment variable may carry its lines as newlines.
        if let Some(address) = &r.platform.address {
            issuer.extend(address.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
        }
        let mut details = vec![
            Row::new("Receipt number", r.number.to_string()),
            Row::new("Date of issue", r.issue_date()),
            Row::new("Booking reference", r.booking.to_string()),
            Row::new("Space provided by", r.provider.clone()),
            Row::new("Driveway", r.driveway_title.clone()),
            Row::new("Address", r.driveway_address.clone()),
            Row::new("From", r.local_time(r.start)),
            Row::new("Until", r.local_time(r.end)),
            Row::new("Time zone", r.timezone.name()),
        ];
        if let Some(plate) = &r.vehicle {
            details.push(Row::new("Vehicle", plate.clone()));
        }
        let lines = r.lines.iter().map(|l| Row::new(l.kind.label(), r.amount(l.amount))).collect();
        let tax = r.included_tax().map(|(tax, amount)| Row::new(Receipt::tax_wording(tax), r.amount(amount)));
        Sheet {
            heading: format!("Receipt {}", r.number),
            issuer,
            details,
            lines,
            total: Row::new("Total paid", r.amount(r.total_paid())),
            tax,
            footer: format!(
                "All amounts are in {}. Thank you for parking with {}.",
                r.currency.as_str().to_ascii_uppercase(),
                r.platform.name
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use parkway_core::money::{Cents, Currency};
    use parkway_core::receipt::{Collected, ReceiptNumber, TaxRate};
    use uuid::Uuid;

    /// A receipt with a refund and a 20 % VAT, the same every time.
    pub(crate) fn example() -> Receipt {
        let mut config = Config::for_database("sqlite::memory:");
        config.platform_address = Some("1 Market St\nSan Francisco, CA".into());
        config.tax_rate = TaxRate::new(2000).expect("a rate");
        config.tax_label = "VAT".into();
        let at = |d, h| Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).single().expect("a time");
        receipt(
            ReceiptFacts {
                number: ReceiptNumber::new(2027, 42).expect("a number"),
                issued_at: at(2, 12),
                booking: Uuid::from_u128(7),
                owner_name: "Ada <Lovelace> & Co".into(),
                title: "Oak St, by the bakery".into(),
                address: "1 Oak St".into(),
                vehicle_plate: None,
                timezone: "America/Los_Angeles".into(),
                start: at(5, 17),
                end: at(5, 19),
                total: Cents(2000),
                refunded: Cents(500),
                currency: Currency::usd(),
                payments: vec![Collected { amount: Cents(2000), refunded: Cents(500) }],
            },
            &config,
        )
    }

    #[test]
    fn the_sheet_says_what_was_paid_for_and_how_much() {
        let sheet = Sheet::of(&example());
        assert_eq!(sheet.heading, "Receipt 2027-000042");
        assert_eq!(sheet.issuer, ["Parkway", "1 Market St", "San Francisco, CA"]);
        let detail = |label: &str| sheet.details.iter().find(|r| r.label == label).map(|r| r.value.as_str());
        assert_eq!(detail("From"), Some("Tue 5 Jan 2027, 09:00 PST"));
        assert_eq!(detail("Until"), Some("Tue 5 Jan 2027, 11:00 PST"));
        assert_eq!(detail("Time zone"), Some("America/Los_Angeles"));
        assert_eq!(detail("Vehicle"), None, "no vehicle named, no row");
        assert_eq!(sheet.lines, [Row::new("Payment", "$20.00"), Row::new("Refund", "\u{2212}$5.00")]);
        assert_eq!(sheet.total, Row::new("Total paid", "$15.00"));
        assert_eq!(sheet.tax, Some(Row::new("of which VAT 20 %", "$2.50")));
    }

    #[test]
    fn the_vehicle_that_parks_has_its_row() {
        let mut r = example();
        r.vehicle = Some("AB12CD".into());
        let sheet = Sheet::of(&r);
        assert_eq!(sheet.details.last(), Some(&Row::new("Vehicle", "AB12CD")));
    }

    #[test]
    fn no_tax_line_without_a_rate() {
        let mut r = example();
        r.tax = None;
        assert_eq!(Sheet::of(&r).tax, None);
    }
}
