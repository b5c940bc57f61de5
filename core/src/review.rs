//! Reviews: a driver's stars and words on a completed stay, the owner's one answer, and what a
//! driveway's reviews add up to.
//!
//! Only a completed booking is reviewed, once, by its driver; the review can be edited for
//! [`EDIT_HOURS`] after it was first written, and the owner answers once. Each rule is a
//! function here with its sentence, so the server decides with it and the UI can say the same
//! before asking.

use crate::booking::BookingStatus;
use crate::error::ErrorCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a review can be edited after it was first written.
pub const EDIT_HOURS: i64 = 48;
/// The longest review text and owner's answer, in characters.
pub const MAX_TEXT: usize = 1000;
/// Reviews one page lists at most.
pub const MAX_PAGE: i64 = 50;

/// Stars, 1 to 5. Read from any JSON number with a whole value (`4` or `4.0`, as JSON Schema's
/// `integer` allows), refused otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "i64")]
pub struct Rating(u8);

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rating, D::Error> {
        struct Stars;
        impl serde::de::Visitor<'_> for Stars {
            type Value = Rating;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number of stars, 1 to 5")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Rating, E> {
                Rating::try_from(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Rating, E> {
                Rating::try_from(i64::try_from(v).unwrap_or(0)).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Rating, E> {
                if v.fract() == 0.0 && (1.0..=5.0).contains(&v) {
                    Rating::try_from(v as i64).map_err(E::custom)
                } else {
                    Err(E::custom(RatingOutOfRange))
                }
            }
        }
        deserializer.deserialize_any(Stars)
    }
}

/// A rating outside 1–5.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a rating is 1 to 5 stars")]
pub struct RatingOutOfRange;

impl TryFrom<i64> for Rating {
    type Error = RatingOutOfRange;
    fn try_from(stars: i64) -> Result<Rating, RatingOutOfRange> {
        u8::try_from(stars).ok().filter(|s| (1..=5).contains(s)).map(Rating).ok_or(RatingOutOfRange)
    }
}

impl From<Rating> for i64 {
    fn from(r: Rating) -> i64 {
        i64::from(r.0)
    }
}

impl Rating {
    /// The stars.
    pub fn stars(self) -> u8 {
        self.0
    }
}

/// A review as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// The booking reviewed.
    pub booking_id: Uuid,
    /// Its driveway.
    pub driveway_id: Uuid,
    /// Stars.
    pub rating: Rating,
    /// The driver's words, if any.
    pub text: Option<String>,
    /// The driver's first name: enough to be a person, not enough to be found.
    pub author_name: String,
    /// The owner's answer, if any.
    pub reply: Option<String>,
    /// When the owner answered.
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub replied_at: Option<DateTime<Utc>>,
    /// First written.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// Last edited.
    #[serde(deserialize_with = "crate::time::utc")]
    pub updated_at: DateTime<Utc>,
    /// Until when its driver may still edit it.
    #[serde(deserialize_with = "crate::time::utc")]
    pub editable_until: DateTime<Utc>,
}

/// `POST` and `PUT /api/bookings/:id/review`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewFields {
    /// Stars, 1 to 5.
    pub rating: Rating,
    /// Words, at most [`MAX_TEXT`] characters; blank means none.
    #[serde(default)]
    pub text: Option<String>,
}

/// `POST /api/bookings/:id/review/reply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewReply {
    /// The owner's answer, 1 to [`MAX_TEXT`] characters.
    pub text: String,
}

/// What a driveway's reviews add up to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingSummary {
    /// The mean of the stars, to one decimal.
    pub average: f64,
    /// How many reviews.
    pub count: i64,
}

impl RatingSummary {
    /// The summary of `count` reviews whose stars add up to `sum`; none without reviews.
    pub fn of(sum: i64, count: i64) -> Option<RatingSummary> {
        (count > 0).then(|| RatingSummary { average: (sum as f64 / count as f64 * 10.0).round() / 10.0, count })
    }
}

/// Why a review cannot be written or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    /// Only a stay that took place is reviewed.
    #[error("only a completed booking can be reviewed; this one is {0}")]
    NotCompleted(BookingStatus),
    /// One review a booking.
    #[error("you have already reviewed this booking; edit your review instead")]
    AlreadyReviewed,
    /// The edit window closed.
    #[error("a review can be edited for {EDIT_HOURS} hours after it was written")]
    EditClosed,
    /// One answer a review.
    #[error("you have already answered this review")]
    AlreadyAnswered,
}

impl ReviewRefusal {
    /// The API error code this refusal answers with.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTransition
    }
}

/// A booking is reviewed only once it is completed, and only once.
pub fn check_reviewable(status: BookingStatus, already: bool) -> Result<(), ReviewRefusal> {
    if status != BookingStatus::Completed {
        Err(ReviewRefusal::NotCompleted(status))
    } else if already {
        Err(ReviewRefusal::AlreadyReviewed)
    } else {
        Ok(())
    }
}

/// Until when a review first written at `created_at` can be edited.
pub fn editable_until(created_at: DateTime<Utc>) -> DateTime<Utc> {
    created_at + Duration::hours(EDIT_HOURS)
}

/// A review is edited only within [`EDIT_HOURS`] of being written.
pub fn check_editable(created_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ReviewRefusal> {
    if now < editable_until(created_at) { Ok(()) } else { Err(ReviewRefusal::EditClosed) }
}

/// The owner answers a review once.
pub fn check_answerable(answered: bool) -> Result<(), ReviewRefusal> {
    if answered { Err(ReviewRefusal::AlreadyAnswered) } else { Ok(()) }
}

/// The name a review shows for its author: the first word of their name.
pub fn author_name(full_name: &str) -> String {
    full_name.split_whitespace().next().unwrap_or("A driver").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five_stars() {
        assert_eq!(serde_json::from_str::<Rating>("4").map(Rating::stars).ok(), Some(4));
        assert_eq!(serde_json::from_str::<Rating>("4.0").map(Rating::stars).ok(), Some(4), "a whole number");
        for bad in ["0", "6", "-1", "4.5", "\"4\"", "1e300", "null"] {
            assert!(serde_json::from_str::<Rating>(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&Rating::try_from(5).expect("five")).expect("json"), "5");
    }

    #[test]
    fn only_a_completed_stay_is_reviewed_once_and_edited_for_two_days() {
        assert_eq!(check_reviewable(BookingStatus::Completed, false), Ok(()));
        assert_eq!(check_reviewable(BookingStatus::Completed, true), Err(ReviewRefusal::AlreadyReviewed));
        assert_eq!(
            check_reviewable(BookingStatus::Cancelled, false),
            Err(ReviewRefusal::NotCompleted(BookingStatus::Cancelled))
        );
        let written = Utc::now();
        assert_eq!(check_editable(written, written + Duration::hours(47)), Ok(()));
        assert_eq!(check_editable(written, written + Duration::hours(48)), Err(ReviewRefusal::EditClosed));
        assert_eq!(check_answerable(true), Err(ReviewRefusal::AlreadyAnswered));
    }

    #[test]
    fn a_summary_rounds_to_one_decimal_and_is_absent_without_reviews() {
        assert_eq!(RatingSummary::of(0, 0), None);
        assert_eq!(RatingSummary::of(14, 3), Some(RatingSummary { average: 4.7, count: 3 }));
        assert_eq!(author_name("Olivia  Martin"), "Olivia");
        assert_eq!(author_name("  "), "A driver");
    }
}
