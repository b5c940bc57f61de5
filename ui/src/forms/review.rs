//! The review form and the owner's answer: stars, words, and the sentences for what is missing.

use parkway_core::api::Driveway;
use parkway_core::review::{MAX_TEXT, Rating, RatingSummary, ReviewFields, ReviewReply};

/// Reviews one page of the driveway page lists.
pub const PAGE: u32 = 10;

/// The review to send: the stars chosen (1–5) and the words, blank meaning none.
pub fn review_fields(stars: Option<u8>, text: &str) -> Result<ReviewFields, String> {
    let rating = stars
        .and_then(|s| Rating::try_from(i64::from(s)).ok())
        .ok_or_else(|| "Choose from 1 to 5 stars.".to_owned())?;
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(format!("A review is at most {MAX_TEXT} characters."));
    }
    Ok(ReviewFields { rating, text: (!text.is_empty()).then(|| text.to_owned()) })
}

/// The owner's answer: 1 to [`MAX_TEXT`] characters.
pub fn reply(text: &str) -> Result<ReviewReply, String> {
    let text = text.trim();
    match text.chars().count() {
        0 => Err("Write your answer first.".to_owned()),
        n if n > MAX_TEXT => Err(format!("An answer is at most {MAX_TEXT} characters.")),
        _ => Ok(ReviewReply { text: text.to_owned() }),
    }
}

/// `4.7`: the average as the API rounds it, always with its one decimal. Written from whole
/// tenths: formatting an `f64` would bring the standard library's float printer (some 8 KB
/// gzipped) into the wasm for this one number.
pub fn average(r: &RatingSummary) -> String {
    let tenths = (r.average * 10.0).round().max(0.0) as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `Rated 4.7 out of 5 from 3 reviews`: what a screen reader says for the stars.
pub fn rating_label(r: &RatingSummary) -> String {
    let s = if r.count == 1 { "" } else { "s" };
    format!("Rated {} out of 5 from {} review{s}", average(r), r.count)
}

/// `★ 4.7 (3)`, or nothing for a driveway without reviews: for places with only text (the
/// map's popup).
pub fn rating_short(d: &Driveway) -> Option<String> {
    d.rating.as_ref().map(|r| format!("★ {} ({})", average(r), r.count))
}

/// `★★★★☆`: one review's stars.
pub fn star_row(stars: u8) -> String {
    (1..=5).map(|i| if i <= stars { '★' } else { '☆' }).collect()
}

/// `4 stars`, `1 star`.
pub fn stars_text(stars: u8) -> String {
    if stars == 1 { "1 star".to_owned() } else { format!("{stars} stars") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_needs_stars_and_at_most_1000_characters() {
        assert_eq!(review_fields(None, "nice"), Err("Choose from 1 to 5 stars.".to_owned()));
        assert!(review_fields(Some(0), "").is_err());
        assert!(review_fields(Some(6), "").is_err());
        let f = review_fields(Some(4), "  Easy to find.  ").expect("ok");
        assert_eq!((f.rating.stars(), f.text.as_deref()), (4, Some("Easy to find.")));
        assert_eq!(review_fields(Some(5), "   ").expect("ok").text, None, "blank words are none");
        assert!(review_fields(Some(3), &"é".repeat(1000)).is_ok(), "characters, not bytes");
        assert!(review_fields(Some(3), &"a".repeat(1001)).is_err());
        let json = serde_json::to_string(&review_fields(Some(4), "ok").expect("ok")).expect("json");
        assert_eq!(json, r#"{"rating":4,"text":"ok"}"#);
    }

    #[test]
    fn an_answer_is_1_to_1000_characters() {
        assert!(reply("  ").is_err());
        assert_eq!(reply(" Thanks! ").expect("ok").text, "Thanks!");
        assert!(reply(&"a".repeat(1001)).is_err());
    }

    #[test]
    fn ratings_read_out_and_in_short() {
        let r = RatingSummary { average: 4.0, count: 1 };
        assert_eq!(rating_label(&r), "Rated 4.0 out of 5 from 1 review");
        let r = RatingSummary { average: 4.7, count: 3 };
        assert_eq!(rating_label(&r), "Rated 4.7 out of 5 from 3 reviews");
        assert_eq!(star_row(4), "★★★★☆");
        assert_eq!((stars_text(1), stars_text(5)), ("1 star".to_owned(), "5 stars".to_owned()));
    }
}
