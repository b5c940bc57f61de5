//! A booking's receipt: what it says, its number, and the tax included in its price.
//!
//! The server fills a [`Receipt`] from the database and renders it as a page or a PDF; the
//! arithmetic and the wording of amounts, rates and times live here so that every rendering
//! (and any client that shows a receipt) agrees to the cent and to the letter.

use crate::money::{Cents, Currency, format_amount};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Basis points in a whole (100 %).
const WHOLE_BPS: u32 = 10_000;

/// A receipt's number: the year it was issued in and its place in that year's sequence,
/// written `2026-000042`. Numbers are handed out in order, without gaps, once per booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiptNumber {
    year: i32,
    seq: i64,
}

/// A receipt number that is not `YYYY-NNNNNN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a receipt number is a year and a sequence number, such as 2026-000042")]
pub struct InvalidReceiptNumber;

impl ReceiptNumber {
    /// The `seq`th receipt (counted from 1) of `year`.
    pub fn new(year: i32, seq: i64) -> Result<ReceiptNumber, InvalidReceiptNumber> {
        if (1..=9999).contains(&year) && seq >= 1 { Ok(ReceiptNumber { year, seq }) } else { Err(InvalidReceiptNumber) }
    }

    /// The year it was issued in.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Its place in the year's sequence, from 1.
    pub fn seq(self) -> i64 {
        self.seq
    }
}

impl fmt::Display for ReceiptNumber {
    /// Six digits at least, so numbers sort as text within a year; a busier year just
    /// grows a seventh.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:06}", self.year, self.seq)
    }
}

impl FromStr for ReceiptNumber {
    type Err = InvalidReceiptNumber;
    fn from_str(s: &str) -> Result<ReceiptNumber, InvalidReceiptNumber> {
        let (year, seq) = s.split_once('-').ok_or(InvalidReceiptNumber)?;
        let digits = |t: &str, min: usize| t.len() >= min && t.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year, 4) || !digits(seq, 6) {
            return Err(InvalidReceiptNumber);
        }
        ReceiptNumber::new(
            year.parse().map_err(|_| InvalidReceiptNumber)?,
            seq.parse().map_err(|_| InvalidReceiptNumber)?,
        )
    }
}

/// A tax rate included in prices, in basis points (2000 = 20 %); zero means no tax is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaxRate(u32);

/// A tax rate above 100 %.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tax rate is at most {WHOLE_BPS} basis points (100 %), not {0}")]
pub struct TaxRateTooHigh(pub u32);

impl TaxRate {
    /// No tax.
    pub const NONE: TaxRate = TaxRate(0);

    /// A rate of `bps` basis points, at most 10,000.
    pub fn new(bps: u32) -> Result<TaxRate, TaxRateTooHigh> {
        if bps > WHOLE_BPS { Err(TaxRateTooHigh(bps)) } else { Ok(TaxRate(bps)) }
    }

    /// The rate in basis points.
    pub fn bps(self) -> u32 {
        self.0
    }

    /// True for a zero rate, which receipts leave out.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The tax contained in a price that includes it: `total × rate / (10000 + rate)`, rounded
    /// half up (half away from zero for a negative amount, so a refund's tax mirrors its
    /// payment's). Prices include the tax, so it is taken out of the total, not added to it.
    pub fn included_in(self, total: Cents) -> Cents {
        let numerator = i128::from(total.0.unsigned_abs()) * i128::from(self.0);
        let denominator = i128::from(WHOLE_BPS + self.0);
        let rounded = (2 * numerator + denominator) / (2 * denominator);
        let magnitude = i64::try_from(rounded).unwrap_or(i64::MAX);
        Cents(if total.0 < 0 { -magnitude } else { magnitude })
    }
}

impl fmt::Display for TaxRate {
    /// As a person writes a percentage: `20 %`, `5.5 %`, `7.75 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, hundredths) = (self.0 / 100, self.0 % 100);
        match hundredths {
            0 => write!(f, "{whole} %"),
            h if h % 10 == 0 => write!(f, "{whole}.{} %", h / 10),
            h => write!(f, "{whole}.{h:02} %"),
        }
    }
}

/// The tax included in a receipt's total, under the name the platform gives it ("VAT").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedTax {
    /// What the tax is called.
    pub label: String,
    /// Its rate.
    pub rate: TaxRate,
}

/// What a money line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Money collected from the driver.
    Payment,
    /// Money given back to the driver.
    Refund,
}

impl LineKind {
    /// The line's name on the receipt.
    pub fn label(self) -> &'static str {
        match self {
            LineKind::Payment => "Payment",
            LineKind::Refund => "Refund",
        }
    }
}

/// One line of money: a payment (positive) or a refund (negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoneyLine {
    /// Payment or refund.
    pub kind: LineKind,
    /// Signed: refunds are negative.
    pub amount: Cents,
}

/// A payment the provider collected for a booking, and how much of it went back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    /// What was collected.
    pub amount: Cents,
    /// What was refunded of it.
    pub refunded: Cents,
}

/// The money lines of a booking: each collected payment, each followed by its refund if any.
///
/// A booking paid before payments were recorded one by one (or seeded without any) has no
/// `payments`; its own total and refunded amount stand in. The booking's refunded total is
/// raised with its payment's, so it is never below their sum; should it be above (a refund
/// recorded on the booking alone), the difference is a refund line of its own, so the total
/// paid always matches what the booking says was kept.
pub fn money_lines(payments: &[Collected], booking_total: Cents, booking_refunded: Cents) -> Vec<MoneyLine> {
    let payments: Vec<Collected> = if payments.is_empty() {
        vec![Collected { amount: booking_total, refunded: Cents::ZERO }]
    } else {
        payments.to_vec()
    };
    let mut lines = Vec::with_capacity(payments.len() * 2 + 1);
    let mut refunded = Cents::ZERO;
    for p in &payments {
        lines.push(MoneyLine { kind: LineKind::Payment, amount: p.amount });
        if p.refunded.0 > 0 {
            lines.push(MoneyLine { kind: LineKind::Refund, amount: Cents(-p.refunded.0) });
            refunded = refunded.saturating_add(p.refunded);
        }
    }
    if booking_refunded.0 > refunded.0 {
        lines.push(MoneyLine { kind: LineKind::Refund, amount: Cents(refunded.0 - booking_refunded.0) });
    }
    lines
}

/// Who issues the receipt: the platform that took the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Its name.
    pub name: String,
    /// Its postal address, when one is configured.
    pub address: Option<String>,
}

/// Everything a booking's receipt shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Its number.
    pub number: ReceiptNumber,
    /// When it was first issued (it is the same receipt every time it is asked for).
    pub issued_at: DateTime<Utc>,
    /// The booking it is for.
    pub booking: Uuid,
    /// Who issues it.
    pub platform: Platform,
    /// The owner providing the space, by name.
    pub provider: String,
    /// The driveway's title.
    pub driveway_title: String,
    /// The driveway's address.
    pub driveway_address: String,
    /// The booked slot's start.
    pub start: DateTime<Utc>,
    /// The booked slot's end.
    pub end: DateTime<Utc>,
    /// The driveway's time zone, in which the slot is shown.
    pub timezone: Tz,
    /// The plate of the vehicle that parks, as the booking recorded it; `None` when the driver
    /// named no vehicle (and then the receipt shows no vehicle).
    pub vehicle: Option<String>,
    /// The currency of every amount.
    pub currency: Currency,
    /// Payments and refunds, in order.
    pub lines: Vec<MoneyLine>,
    /// The tax included in the price, if the platform charges one.
    pub tax: Option<IncludedTax>,
}

impl Receipt {
    /// Payments minus refunds.
    pub fn total_paid(&self) -> Cents {
        self.lines.iter().fold(Cents::ZERO, |sum, l| sum.saturating_add(l.amount))
    }

    /// The tax included in the total paid, with its label and rate; `None` without a tax.
    pub fn included_tax(&self) -> Option<(&IncludedTax, Cents)> {
        let tax = self.tax.as_ref().filter(|t| !t.rate.is_none())?;
        Some((tax, tax.rate.included_in(self.total_paid())))
    }

    /// The tax line's words: `of which VAT 20 %`.
    pub fn tax_wording(tax: &IncludedTax) -> String {
        format!("of which {} {}", tax.label, tax.rate)
    }

    /// An amount in the receipt's currency, signed with a true minus: `−$2.50`.
    pub fn amount(&self, amount: Cents) -> String {
        signed_amount(amount, &self.currency)
    }

    /// An instant of the booking as read on the driveway's clock: `Tue 6 Jan 2027, 09:00 PST`.
    pub fn local_time(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.timezone).format("%a %-d %b %Y, %H:%M %Z").to_string()
    }

    /// The day of issue, in UTC like the number's year: `1 Mar 2026`.
    pub fn issue_date(&self) -> String {
        self.issued_at.format("%-d %b %Y").to_string()
    }
}

/// An amount with its currency, a negative one led by a minus sign (U+2212) rather than
/// carrying it inside the number (`$-2.50`).
pub fn signed_amount(amount: Cents, currency: &Currency) -> String {
    let shown = format_amount(Cents(amount.0.saturating_abs()), currency);
    if amount.0 < 0 { format!("\u{2212}{shown}") } else { shown }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rate(bps: u32) -> TaxRate {
        TaxRate::new(bps).expect("a valid rate")
    }

    #[test]
    fn numbers_are_the_year_and_six_digits() {
        let n = ReceiptNumber::new(2026, 42).expect("valid");
        assert_eq!(n.to_string(), "2026-000042");
        assert_eq!("2026-000042".parse(), Ok(n));
        assert_eq!(ReceiptNumber::new(2026, 1_234_567).expect("valid").to_string(), "2026-1234567");
        assert!(ReceiptNumber::new(2026, 0).is_err(), "sequences start at 1");
        for bad in ["2026-42", "26-000042", "2026000042", "2026-00004a", "2026-000000"] {
            assert!(bad.parse::<ReceiptNumber>().is_err(), "{bad}");
        }
        assert!(ReceiptNumber::new(2026, 9).expect("valid") < ReceiptNumber::new(2026, 10).expect("valid"));
    }

    #[test]
    fn included_tax_is_taken_out_of_the_total_rounded_half_up() {
        // 20 % included in 12.00 is exactly 2.00 (10.00 + 20 %).
        assert_eq!(rate(2000).included_in(Cents(1200)), Cents(200));
        // 1000 × 2000 / 12000 = 166.67 → 167.
        assert_eq!(rate(2000).included_in(Cents(1000)), Cents(167));
        // 3 × 2000 / 12000 = 0.5 → 1: half goes up.
        assert_eq!(rate(2000).included_in(Cents(3)), Cents(1));
        // 9 × 2000 / 12000 = 1.5 → 2; 1 × 2000 / 12000 = 0.17 → 0.
        assert_eq!(rate(2000).included_in(Cents(9)), Cents(2));
        assert_eq!(rate(2000).included_in(Cents(1)), Cents(0));
        // 5.5 %: 1055 × 550 / 10550 = 55 exactly.
        assert_eq!(rate(550).included_in(Cents(1055)), Cents(55));
        assert_eq!(rate(0).included_in(Cents(1000)), Cents(0));
        assert_eq!(rate(10_000).included_in(Cents(1000)), Cents(500), "100 % tax is half the price");
        // A negative amount mirrors its positive.
        assert_eq!(rate(2000).included_in(Cents(-3)), Cents(-1));
        assert_eq!(rate(2000).included_in(Cents(-1000)), Cents(-167));
        assert_eq!(rate(2000).included_in(Cents(i64::MAX)).0, 1_537_228_672_809_129_301);
        assert!(TaxRate::new(10_001).is_err());
    }

    #[test]
    fn the_included_tax_is_the_rate_on_the_net() {
        for total in [0, 1, 2, 3, 99, 100, 101, 1234, 99_999] {
            for bps in [1, 500, 550, 700, 1900, 2000, 2100, 2500] {
                let tax = rate(bps).included_in(Cents(total)).0;
                let net = total - tax;
                // The tax is the rate applied to the net, but for the half cent rounding may move.
                let off = net * i64::from(bps) - tax * 10_000;
                assert!(2 * off.abs() <= 10_000 + i64::from(bps), "{total} at {bps}: tax {tax}");
            }
        }
    }

    #[test]
    fn rates_read_as_percentages() {
        assert_eq!(rate(2000).to_string(), "20 %");
        assert_eq!(rate(550).to_string(), "5.5 %");
        assert_eq!(rate(775).to_string(), "7.75 %");
        assert_eq!(rate(5).to_string(), "0.05 %");
        assert_eq!(rate(10_000).to_string(), "100 %");
    }

    #[test]
    fn a_booking_without_payment_records_shows_its_own_total_and_refund() {
        assert_eq!(
            money_lines(&[], Cents(1000), Cents(0)),
            vec![MoneyLine { kind: LineKind::Payment, amount: Cents(1000) }]
        );
        assert_eq!(
            money_lines(&[], Cents(1000), Cents(500)),
            vec![
                MoneyLine { kind: LineKind::Payment, amount: Cents(1000) },
                MoneyLine { kind: LineKind::Refund, amount: Cents(-500) },
            ]
        );
    }

    #[test]
    fn each_payment_is_followed_by_its_refund() {
        let payments = [
            Collected { amount: Cents(1000), refunded: Cents(250) },
            Collected { amount: Cents(300), refunded: Cents(0) },
        ];
        let lines = money_lines(&payments, Cents(1300), Cents(250));
        assert_eq!(
            lines,
            vec![
                MoneyLine { kind: LineKind::Payment, amount: Cents(1000) },
                MoneyLine { kind: LineKind::Refund, amount: Cents(-250) },
                MoneyLine { kind: LineKind::Payment, amount: Cents(300) },
            ]
        );
        // A refund the booking knows of beyond its payments' is a line of its own.
        let lines = money_lines(&payments, Cents(1300), Cents(400));
        assert_eq!(lines.last(), Some(&MoneyLine { kind: LineKind::Refund, amount: Cents(-150) }));
        assert_eq!(lines.iter().map(|l| l.amount.0).sum::<i64>(), 900);
    }

    fn receipt(lines: Vec<MoneyLine>, tax: Option<IncludedTax>) -> Receipt {
        Receipt {
            number: ReceiptNumber::new(2026, 1).expect("valid"),
            issued_at: Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).single().expect("a time"),
            booking: Uuid::nil(),
            platform: Platform { name: "Parkway".into(), address: None },
            provider: "Ada".into(),
            driveway_title: "Oak St".into(),
            driveway_address: "1 Oak St".into(),
            start: Utc.with_ymd_and_hms(2027, 1, 5, 17, 0, 0).single().expect("a time"),
            end: Utc.with_ymd_and_hms(2027, 1, 5, 18, 0, 0).single().expect("a time"),
            timezone: chrono_tz::America::Los_Angeles,
            vehicle: None,
            currency: Currency::usd(),
            lines,
            tax,
        }
    }

    #[test]
    fn a_receipt_totals_its_lines_and_the_tax_included() {
        let vat = IncludedTax { label: "VAT".into(), rate: rate(2000) };
        let r = receipt(money_lines(&[], Cents(1500), Cents(300)), Some(vat.clone()));
        assert_eq!(r.total_paid(), Cents(1200));
        assert_eq!(r.included_tax(), Some((&vat, Cents(200))));
        assert_eq!(Receipt::tax_wording(&vat), "of which VAT 20 %");
        assert_eq!(r.amount(Cents(-250)), "\u{2212}$2.50");
        assert_eq!(r.amount(Cents(1200)), "$12.00");
        let untaxed = receipt(r.lines.clone(), Some(IncludedTax { label: "VAT".into(), rate: TaxRate::NONE }));
        assert_eq!(untaxed.included_tax(), None, "a zero rate shows no tax line");
        assert_eq!(receipt(r.lines.clone(), None).included_tax(), None);
    }

    #[test]
    fn times_read_on_the_driveways_clock_with_the_zone() {
        let r = receipt(Vec::new(), None);
        assert_eq!(r.local_time(r.start), "Tue 5 Jan 2027, 09:00 PST");
        assert_eq!(r.local_time(r.end), "Tue 5 Jan 2027, 10:00 PST");
        assert_eq!(r.issue_date(), "1 Mar 2026");
    }
}
