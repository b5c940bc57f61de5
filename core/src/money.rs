use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in integer minor units (cents). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    /// Zero.
    pub const ZERO: Cents = Cents(0);

    /// The raw number of minor units.
    pub fn get(self) -> i64 {
        self.0
    }

    /// Adds, saturating rather than wrapping on overflow.
    pub fn saturating_add(self, other: Cents) -> Cents {
        Cents(self.0.saturating_add(other.0))
    }

    /// `self × numerator / denominator`, rounded down, for partial refunds.
    pub fn fraction(self, numerator: i64, denominator: i64) -> Cents {
        if denominator == 0 {
            return Cents::ZERO;
        }
        Cents(((self.0 as i128 * numerator as i128) / denominator as i128) as i64)
    }
}

impl fmt::Display for Cents {
    /// Formats as `12.34`, the way a person reads an amount.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// An ISO 4217 currency code in lower case, as Stripe spells it (`usd`, `eur`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

/// A currency code that is not three ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be a three-letter ISO 4217 code such as \"usd\"")]
pub struct InvalidCurrency;

impl Currency {
    /// Parses a code, accepting any case and storing it in lower case.
    pub fn parse(code: &str) -> Result<Currency, InvalidCurrency> {
        let code = code.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Currency(code.to_ascii_lowercase()))
        } else {
            Err(InvalidCurrency)
        }
    }

    /// US dollars, the default.
    pub fn usd() -> Currency {
        Currency("usd".to_owned())
    }

    /// The lower-case code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::usd()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Formats an amount with its currency for people: `$12.50`, `12.50 EUR`.
pub fn format_amount(amount: Cents, currency: &Currency) -> String {
    match currency.as_str() {
        "usd" => format!("${amount}"),
        "eur" => format!("€{amount}"),
        "gbp" => format!("£{amount}"),
        other => format!("{amount} {}", other.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_cents_as_a_decimal_amount() {
        assert_eq!(Cents(1234).to_string(), "12.34");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(-250).to_string(), "-2.50");
        assert_eq!(format_amount(Cents(900), &Currency::usd()), "$9.00");
    }

    #[test]
    fn currency_is_three_letters_lower_cased() {
        assert_eq!(Currency::parse("EUR").map(|c| c.0), Ok("eur".to_owned()));
        assert!(Currency::parse("euro").is_err());
        assert!(Currency::parse("u$d").is_err());
    }

    #[test]
    fn fraction_rounds_down() {
        assert_eq!(Cents(999).fraction(1, 2), Cents(499));
        assert_eq!(Cents(1000).fraction(0, 2), Cents(0));
    }
}
