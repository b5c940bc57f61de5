//! Firebase Cloud Messaging, HTTP v1 API: Android devices. The server signs in as a Google
//! service account (its JSON key file, `PARKWAY_FCM_SERVICE_ACCOUNT`): a JWT signed with the
//! account's RSA key is exchanged at the key's `token_uri` for an OAuth 2.0 access token, which
//! is kept and replaced five minutes before it expires.

use super::{Delivery, Payload, Sent};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The scope of an access token that may send messages.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// An access token is replaced this long before it expires.
const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// The fields of a service account key that signing in needs.
#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    client_email: String,
    private_key: String,
    token_uri: String,
}

/// Firebase, configured.
#[derive(Clone)]
pub struct Fcm {
    project_id: String,
    client_email: String,
    key: EncodingKey,
    token_uri: String,
    api_base: String,
    token: Arc<Mutex<Option<AccessToken>>>,
}

/// An OAuth 2.0 access token and when it expires.
struct AccessToken {
    token: String,
    expires: DateTime<Utc>,
}

impl std::fmt::Debug for Fcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fcm")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

impl Fcm {
    /// From a service account's JSON key, sending through `api_base`
    /// (`https://fcm.googleapis.com`).
    pub fn new(key_json: &str, api_base: &str) -> anyhow::Result<Fcm> {
        let account: ServiceAccount =
            serde_json::from_str(key_json).map_err(|e| anyhow::anyhow!("not a service account key: {e}"))?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| anyhow::anyhow!("the key's private_key is not an RSA key: {e}"))?;
        Ok(Fcm {
            project_id: account.project_id,
            client_email: account.client_email,
            key,
            token_uri: account.token_uri,
            api_base: api_base.trim_end_matches('/').to_owned(),
            token: Arc::default(),
        })
    }

    /// An access token valid for a while yet: the one kept, or a new one.
    async fn access_token(&self, client: &reqwest::Client, now: DateTime<Utc>) -> Result<String, String> {
        let mut kept = self.token.lock().await;
        if let Some(kept) = kept.as_ref()
            && kept.expires - REFRESH_MARGIN > now
        {
            return Ok(kept.token.clone());
        }
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            scope: &'a str,
            aud: &'a str,
            iat: i64,
            exp: i64,
        }
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now.timestamp(),
            exp: now.timestamp() + 3600,
        };
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| format!("signing the sign-in: {e}"))?;
        #[derive(Deserialize)]
        struct Granted {
            access_token: String,
            expires_in: i64,
        }
        let response = client
            .post(&self.token_uri)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &assertion)])
            .send()
            .await
            .map_err(|e| format!("signing in to Google: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("signing in to Google answered {}", response.status()));
        }
        let granted: Granted = response.json().await.map_err(|e| format!("Google's sign-in answer: {e}"))?;
        *kept = Some(AccessToken {
            token: granted.access_token.clone(),
            expires: now + Duration::seconds(granted.expires_in),
        });
        Ok(granted.access_token)
    }

    /// Sends one message to `token`.
    pub(super) async fn send(
        &self,
        client: &reqwest::Client,
        token: &str,
        payload: &Payload<'_>,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Sent {
        let access = match self.access_token(client, now).await {
            Ok(access) => access,
            Err(why) => return Sent::Failed(why),
        };
        // Data values are strings in FCM; the app reads the same JSON as every other client.
        let data = serde_json::json!({
            "id": payload.id.to_string(),
            "type": payload.kind.as_str(),
            "data": payload.data.to_string(),
        });
        let mut android = serde_json::json!({
            "priority": if delivery.urgent { "HIGH" } else { "NORMAL" },
            "ttl": format!("{}s", delivery.ttl.num_seconds()),
        });
        if let Some(key) = &delivery.collapse_key {
            android["collapse_key"] = key.as_str().into();
        }
        let message = serde_json::json!({"message": {
            "token": token,
            "notification": {"title": payload.title, "body": payload.body},
            "data": data,
            "android": android,
        }});
        let url = format!("{}/v1/projects/{}/messages:send", self.api_base, self.project_id);
        let response = match client.post(url).bearer_auth(&access).json(&message).send().await {
            Ok(r) => r,
            Err(e) => return Sent::Failed(format!("Firebase did not answer: {e}")),
        };
        let status = response.status();
        if status.is_success() {
            return Sent::Taken;
        }
        let body = response.text().await.unwrap_or_default();
        match status {
            // The app was uninstalled or the token replaced.
            StatusCode::NOT_FOUND => Sent::Gone,
            _ if body.contains("UNREGISTERED") => Sent::Gone,
            StatusCode::UNAUTHORIZED => {
                *self.token.lock().await = None;
                Sent::Failed("Firebase refused the access token; a new one will be asked".into())
            }
            StatusCode::TOO_MANY_REQUESTS => Sent::Failed("Firebase asked to slow down".into()),
            s if s.is_server_error() => Sent::Failed(format!("Firebase answered {s}")),
            s => Sent::Refused(format!("Firebase answered {s}")),
        }
    }
}
