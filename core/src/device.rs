//! Devices a user's notifications are pushed to when no Parkway window is open: a phone's
//! Firebase (Android) or APNs (iOS) token, or a browser's Web Push subscription. The API never
//! shows a token or a subscription's keys back: a device is named by its id.

use crate::notification::NotificationType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Most devices one user keeps; registering another drops the one registered longest ago.
pub const MAX_DEVICES: usize = 10;
/// Longest Firebase or APNs token.
pub const MAX_TOKEN_CHARS: usize = 4096;
/// Longest Web Push endpoint URL.
pub const MAX_ENDPOINT_CHARS: usize = 2048;

/// Where a device's pushes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Firebase Cloud Messaging.
    Android,
    /// Apple Push Notification service.
    Ios,
    /// A browser's push service, through Web Push.
    Web,
}

impl Platform {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Web => "web",
        }
    }

    /// Parses the name.
    pub fn parse(s: &str) -> Option<Platform> {
        [Platform::Android, Platform::Ios, Platform::Web].into_iter().find(|p| p.as_str() == s)
    }
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushSubscription {
    /// The push service's URL for this browser.
    pub endpoint: String,
    /// The keys a payload is encrypted for.
    pub keys: WebPushKeys,
}

/// A subscription's keys, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushKeys {
    /// The browser's P-256 public key, uncompressed (65 bytes).
    pub p256dh: String,
    /// The authentication secret (16 bytes).
    pub auth: String,
}

/// `POST /api/devices`: a token for a phone, a subscription for a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDevice {
    /// Which push service.
    pub platform: Platform,
    /// Android and iOS: the token the platform gave the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Web: the browser's subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<WebPushSubscription>,
}

/// A registered device, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Id, for `DELETE /api/devices/:id` at sign-out.
    pub id: Uuid,
    /// Its push service.
    pub platform: Platform,
    /// When it was first registered.
    pub created_at: DateTime<Utc>,
    /// When it was last registered (an app registers again at each sign-in).
    pub updated_at: DateTime<Utc>,
}

/// `GET` and `PUT /api/me/notification-settings`: whether each kind of notification is pushed
/// to the user's devices. Every notification still reaches the inbox and open windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationSettings {
    /// By kind. A `GET` answers every kind; a `PUT` changes the kinds it names.
    pub push: BTreeMap<NotificationType, bool>,
}

impl NotificationSettings {
    /// Every kind pushed except the `muted` ones.
    pub fn all_but(muted: &[NotificationType]) -> NotificationSettings {
        NotificationSettings { push: NotificationType::ALL.into_iter().map(|k| (k, !muted.contains(&k))).collect() }
    }
}

/// A token the server would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidToken(&'static str);

/// A phone's push token: a Firebase registration token or an APNs device token, checked by
/// the rules the server registers it under (the app checks it with the same, where it came from).
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
    fn settings_name_every_kind_and_read_back() {
        let settings = NotificationSettings::all_but(&[NotificationType::Message]);
        assert_eq!(settings.push.len(), NotificationType::ALL.len());
        let json = serde_json::to_value(&settings).expect("json");
        assert_eq!(json["push"]["message"], false);
        assert_eq!(json["push"]["booking_confirmed"], true);
        assert_eq!(serde_json::from_value::<NotificationSettings>(json).expect("read back"), settings);
    }

    #[test]
    fn a_device_is_a_token_or_a_subscription_and_nothing_else() {
        let phone: NewDevice = serde_json::from_str(r#"{"platform":"android","token":"abc:def"}"#).expect("a phone");
        assert_eq!(phone.platform, Platform::Android);
        assert!(serde_json::from_str::<NewDevice>(r#"{"platform":"android","token":"a","extra":1}"#).is_err());
        assert!(serde_json::from_str::<NewDevice>(r#"{"platform":"fax","token":"a"}"#).is_err());
        for p in [Platform::Android, Platform::Ios, Platform::Web] {
            assert_eq!(Platform::parse(p.as_str()), Some(p));
        }
    }

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
