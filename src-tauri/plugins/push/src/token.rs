//! A device's push token as the server takes it (`POST /api/devices`): checked here with the
//! server's own rules, so a token the server would refuse is caught where it came from.

use parkway_core::device::{MAX_TOKEN_CHARS, NewDevice, Platform};

/// A token the server would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidToken(&'static str);

/// A phone's push token: a Firebase registration token or an APNs device token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken {
    platform: Platform,
    token: String,
}

impl PushToken {
    /// A Firebase registration token: 1 to 4,096 printable characters without spaces.
    pub fn fcm(token: &str) -> Result<PushToken, InvalidToken> {
        if token.is_empty() || token.len() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidToken("a Firebase token is 1 to 4,096 printable characters without spaces"));
        }
        Ok(PushToken { platform: Platform::Android, token: token.to_owned() })
    }

    /// An APNs device token in hex (64 to 200 digits: 32 bytes today, and Apple says not to
    /// count on the length), kept in lower case as the server keeps it.
    pub fn apns(hex: &str) -> Result<PushToken, InvalidToken> {
        let sized = (64..=200).contains(&hex.len()) && hex.len().is_multiple_of(2);
        if !sized || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidToken("an APNs device token is 64 to 200 hexadecimal digits"));
        }
        Ok(PushToken { platform: Platform::Ios, token: hex.to_ascii_lowercase() })
    }

    /// Which push service the token is for.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The body of `POST /api/devices` that registers it.
    pub fn new_device(&self) -> NewDevice {
        NewDevice { platform: self.platform, token: Some(self.token.clone()), subscription: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apns_token_is_even_hex_of_64_to_200_digits_kept_in_lower_case() {
        let token = PushToken::apns(&"aB".repeat(32)).expect("32 bytes");
        assert_eq!(token.as_str(), "ab".repeat(32));
        assert_eq!(token.platform(), Platform::Ios);
        assert!(PushToken::apns(&"0f".repeat(100)).is_ok(), "200 digits");
        for bad in
            ["", &"0".repeat(62), &"0".repeat(65), &"0".repeat(202), &"g".repeat(64), &format!("{} ", "0".repeat(63))]
        {
            assert!(PushToken::apns(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_firebase_token_is_printable_without_spaces_and_at_most_4096_characters() {
        let token = PushToken::fcm("dGhpcyBpcyBh:APA91bH-x_y").expect("a real token's shape");
        assert_eq!(token.platform(), Platform::Android);
        assert!(PushToken::fcm(&"a".repeat(MAX_TOKEN_CHARS)).is_ok());
        for bad in ["", "has space", "tab\there", &"a".repeat(MAX_TOKEN_CHARS + 1), "é"] {
            assert!(PushToken::fcm(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_registration_body_is_the_servers() {
        let body = serde_json::to_value(PushToken::fcm("abc").expect("token").new_device()).expect("json");
        assert_eq!(body, serde_json::json!({"platform": "android", "token": "abc"}));
    }
}
