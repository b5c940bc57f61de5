//! Drivers' vehicles: the plate an owner checks at the driveway. A plate is kept in one form
//! (upper case, letters and digits only) so that "ab-12 cd" and "AB12CD" are the same car, and
//! a booking keeps a copy of the plate and label it was made with.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Most vehicles one driver keeps.
pub const MAX_VEHICLES: usize = 10;
/// Shortest and longest plate, in letters and digits.
pub const PLATE_LEN: std::ops::RangeInclusive<usize> = 2..=12;
/// Longest plate as typed, spaces and dashes included.
pub const MAX_TYPED_CHARS: usize = 40;
/// Longest label ("Blue hatchback").
pub const MAX_LABEL_CHARS: usize = 40;

/// A normalised licence plate: 2 to 12 ASCII letters and digits, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Plate(String);

/// Why a plate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    /// A character other than a letter, a digit, a space or a dash.
    #[error("a plate has letters and digits only (spaces and dashes are dropped)")]
    Characters,
    /// Too short or too long once spaces and dashes are dropped.
    #[error("a plate has 2 to 12 letters and digits")]
    Length,
    /// More than [`MAX_TYPED_CHARS`] characters as typed.
    #[error("a plate is typed in at most 40 characters")]
    TooLongTyped,
}

impl Plate {
    /// Normalises what a driver typed: spaces and dashes are dropped, letters upper-cased.
    pub fn parse(typed: &str) -> Result<Plate, PlateError> {
        if typed.chars().count() > MAX_TYPED_CHARS {
            return Err(PlateError::TooLongTyped);
        }
        let mut plate = String::with_capacity(typed.len());
        for c in typed.chars() {
            match c {
                ' ' | '-' | '\t' => {}
                c if c.is_ascii_alphanumeric() => plate.push(c.to_ascii_uppercase()),
                _ => return Err(PlateError::Characters),
            }
        }
        if PLATE_LEN.contains(&plate.len()) { Ok(Plate(plate)) } else { Err(PlateError::Length) }
    }

    /// The plate as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Plate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Plate::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A driver's vehicle (`/api/me/vehicles`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    /// Id.
    pub id: Uuid,
    /// The normalised plate.
    pub plate: Plate,
    /// The driver's name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Booked with when a booking names no vehicle.
    pub is_default: bool,
}

/// `POST /api/me/vehicles` and `PUT /api/me/vehicles/:id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VehicleFields {
    /// The plate as typed; normalised by the server.
    pub plate: String,
    /// A name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Make it the default (the first vehicle always is).
    #[serde(default)]
    pub is_default: bool,
}

/// The vehicle a booking was made with, as it was then: later edits of the vehicle do not
/// change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VehicleSnapshot {
    /// The plate.
    pub plate: String,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl VehicleSnapshot {
    /// "AB12CD (Blue hatchback)", or the plate alone.
    pub fn describe(&self) -> String {
        match &self.label {
            Some(label) => format!("{} ({label})", self.plate),
            None => self.plate.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_normalised() {
        assert_eq!(Plate::parse("ab-12 cd").map(|p| p.to_string()), Ok("AB12CD".to_owned()));
        assert_eq!(Plate::parse(" 7abc123 ").map(|p| p.to_string()), Ok("7ABC123".to_owned()));
        assert_eq!(Plate::parse("A"), Err(PlateError::Length));
        assert_eq!(Plate::parse("- -"), Err(PlateError::Length));
        assert_eq!(Plate::parse("ABCDEFGHIJKLM"), Err(PlateError::Length));
        assert_eq!(Plate::parse("ABCDEFGHIJKL").map(|p| p.as_str().len()), Ok(12));
        assert_eq!(Plate::parse("AB_12"), Err(PlateError::Characters));
        assert_eq!(Plate::parse("ÄB12"), Err(PlateError::Characters), "ASCII only, as plates are");
        assert_eq!(Plate::parse("AB<12>"), Err(PlateError::Characters));
        let padded = format!("A{}B", "-".repeat(MAX_TYPED_CHARS - 1));
        assert_eq!(Plate::parse(&padded), Err(PlateError::TooLongTyped), "what is typed is limited too");
        assert_eq!(Plate::parse(&padded[1..]).map(|p| p.to_string()), Err(PlateError::Length));
    }

    #[test]
    fn a_plate_read_from_json_is_normalised_or_refused() {
        assert_eq!(serde_json::from_str::<Plate>(r#""xy 99""#).map(|p| p.to_string()).ok(), Some("XY99".to_owned()));
        assert!(serde_json::from_str::<Plate>(r#""x""#).is_err());
    }

    #[test]
    fn a_snapshot_describes_itself() {
        let s = VehicleSnapshot { plate: "AB12CD".into(), label: Some("Blue hatchback".into()) };
        assert_eq!(s.describe(), "AB12CD (Blue hatchback)");
        assert_eq!(VehicleSnapshot { label: None, ..s }.describe(), "AB12CD");
    }
}
