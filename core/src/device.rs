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
}
