//! Apple Push Notification service: iOS devices, over HTTP/2 with token authentication. The
//! provider token is an ES256 JWT signed with the team's `.p8` key, made again every 50 minutes
//! (Apple refuses one older than an hour, and one made more often than every 20 minutes).

use super::{Delivery, Payload, Sent};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use std::sync::Arc;
use tokio::sync::Mutex;

/// How long a provider token is used.
const TOKEN_LIFE: Duration = Duration::minutes(50);
/// How long APNs may take to answer.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What APNs needs, from the environment.
pub struct ApnsSettings<'a> {
    /// The `.p8` key's text (PKCS#8 PEM).
    pub key_pem: &'a str,
    /// Its key id (10 characters, from Apple's developer site).
    pub key_id: &'a str,
    /// The team id.
    pub team_id: &'a str,
    /// The app's bundle id: every push's `apns-topic`.
    pub topic: &'a str,
    /// `https://api.push.apple.com`, or the sandbox's.
    pub api_base: &'a str,
}

/// APNs, configured.
#[derive(Clone)]
pub struct Apns {
    key: EncodingKey,
    key_id: String,
    team_id: String,
    topic: String,
    api_base: String,
    client: reqwest::Client,
    token: Arc<Mutex<Option<ProviderToken>>>,
}

/// A provider token and when it was made.
struct ProviderToken {
    token: String,
    made: DateTime<Utc>,
}

impl std::fmt::Debug for Apns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apns").field("key_id", &self.key_id).field("topic", &self.topic).finish_non_exhaustive()
    }
}

impl Apns {
    /// APNs with `settings`.
    pub fn new(settings: &ApnsSettings<'_>) -> anyhow::Result<Apns> {
        let key = EncodingKey::from_ec_pem(settings.key_pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("the key is not a .p8 (PKCS#8 P-256) key: {e}"))?;
        let builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Parkway/", env!("CARGO_PKG_VERSION")));
        // APNs speaks HTTP/2 only: over TLS it is agreed on; a plain-HTTP base (a local double)
        // is spoken to in HTTP/2 from the first byte.
        let builder = if settings.api_base.starts_with("http://") { builder.http2_prior_knowledge() } else { builder };
        Ok(Apns {
            key,
            key_id: settings.key_id.to_owned(),
            team_id: settings.team_id.to_owned(),
            topic: settings.topic.to_owned(),
            api_base: settings.api_base.trim_end_matches('/').to_owned(),
            client: builder.build()?,
            token: Arc::default(),
        })
    }

    /// The provider token: the one kept while it is young enough, or a new one.
    async fn provider_token(&self, now: DateTime<Utc>) -> Result<String, String> {
        let mut kept = self.token.lock().await;
        if let Some(kept) = kept.as_ref()
            && now - kept.made < TOKEN_LIFE
        {
            return Ok(kept.token.clone());
        }
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            iat: i64,
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let token = jsonwebtoken::encode(&header, &Claims { iss: &self.team_id, iat: now.timestamp() }, &self.key)
            .map_err(|e| format!("signing the provider token: {e}"))?;
        *kept = Some(ProviderToken { token: token.clone(), made: now });
        Ok(token)
    }

    /// Sends one notification to the device `token`.
    pub(super) async fn send(
        &self,
        token: &str,
        payload: &Payload<'_>,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Sent {
        let bearer = match self.provider_token(now).await {
            Ok(bearer) => bearer,
            Err(why) => return Sent::Failed(why),
        };
        let body = serde_json::json!({
            "aps": {"alert": {"title": payload.title, "body": payload.body}, "sound": "default"},
            "id": payload.id,
            "type": payload.kind,
            "data": payload.data,
        });
        let mut request = self
            .client
            .post(format!("{}/3/device/{token}", self.api_base))
            .bearer_auth(bearer)
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", if delivery.urgent { "10" } else { "5" })
            .header("apns-expiration", (now + delivery.ttl).timestamp().to_string())
            .json(&body);
        if let Some(key) = &delivery.collapse_key {
            request = request.header("apns-collapse-id", key);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Sent::Failed(format!("APNs did not answer: {e}")),
        };
        let status = response.status();
        if status.is_success() {
            return Sent::Taken;
        }
        let reason = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|b| b["reason"].as_str().map(str::to_owned))
            .unwrap_or_default();
        match (status, reason.as_str()) {
            // The app was removed, or the token is not one of this app's.
            (StatusCode::GONE, _) | (_, "BadDeviceToken" | "Unregistered" | "DeviceTokenNotForTopic") => Sent::Gone,
            (StatusCode::FORBIDDEN, "ExpiredProviderToken") => {
                *self.token.lock().await = None;
                Sent::Failed("APNs found the provider token expired; a new one will be made".into())
            }
            (StatusCode::TOO_MANY_REQUESTS, _) => Sent::Failed("APNs asked to slow down".into()),
            (s, _) if s.is_server_error() => Sent::Failed(format!("APNs answered {s}")),
            (s, reason) => Sent::Refused(format!("APNs answered {s} {reason}")),
        }
    }
}
