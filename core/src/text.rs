//! Strings with rules: each type can only hold a value that passed its check.

use serde::Serialize;

/// A problem with a text field; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TextError(pub String);

/// A normalised email address (trimmed, lower case, at most 254 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes; delivery is the only real proof, so this stays loose.
    pub fn parse(s: &str) -> Result<Email, TextError> {
        let s = s.trim().to_lowercase();
        let bad = || TextError("email must be an address like name@example.com".to_owned());
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Email(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: 8 to 256 characters. Never logged, never serialised.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Shortest allowed.
    pub const MIN_CHARS: usize = 8;
    /// Longest allowed (long inputs would only slow hashing down).
    pub const MAX_CHARS: usize = 256;

    /// Checks the length rules.
    pub fn parse(s: &str) -> Result<Password, TextError> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(TextError(format!("password must be at least {} characters", Self::MIN_CHARS)));
        }
        if n > Self::MAX_CHARS {
            return Err(TextError(format!("password must be at most {} characters", Self::MAX_CHARS)));
        }
        Ok(Password(s.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Trims `s` and checks it has 1..=`max` characters; `field` names it in the message.
pub fn required(field: &str, s: &str, max: usize) -> Result<String, TextError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TextError(format!("{field} must not be empty")));
    }
    limited(field, t, max)
}

/// Checks `s` has at most `max` characters and no control characters other than newlines.
pub fn limited(field: &str, s: &str, max: usize) -> Result<String, TextError> {
    if s.chars().count() > max {
        return Err(TextError(format!("{field} must be at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(TextError(format!("{field} must not contain control characters")));
    }
    Ok(s.to_owned())
}

/// An optional free-text field: blank becomes `None`.
pub fn optional(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => limited(field, t, max).map(Some),
    }
}

/// Field limits shared by the server and the forms.
pub mod limits {
    /// A person's name.
    pub const NAME: usize = 100;
    /// A driveway's title.
    pub const TITLE: usize = 120;
    /// A street address.
    pub const ADDRESS: usize = 300;
    /// Access instructions for drivers.
    pub const ACCESS_INSTRUCTIONS: usize = 2000;
    /// A driver's special requests.
    pub const SPECIAL_REQUESTS: usize = 1000;
    /// An idempotency key.
    pub const IDEMPOTENCY_KEY: usize = 255;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse("  Ann@Example.COM ").map(|e| e.0), Ok("ann@example.com".to_owned()));
        for bad in ["", "ann", "ann@", "@x.com", "ann@localhost", "a b@x.com", "ann@x."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-pass").expect("ok")), "Password(…)");
    }

    #[test]
    fn text_limits() {
        assert!(required("title", "   ", 10).is_err());
        assert_eq!(required("title", " Spot ", 10), Ok("Spot".to_owned()));
        assert!(limited("title", "ab\u{0}", 10).is_err());
        assert_eq!(optional("x", Some("  "), 5), Ok(None));
        assert!(optional("x", Some("toolong"), 5).is_err());
    }
}
