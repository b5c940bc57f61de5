//! A small Stripe client: form-encoded requests with the secret key, an idempotency key on
//! every write, timeouts, and retries with backoff and jitter for network errors, 429 and 5xx
//! only (anything else would fail the same way again).

use super::{Intent, PaymentError};
use backon::{ExponentialBuilder, Retryable};
use parkway_core::payment::{CaptureMethod, IntentStatus};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use std::time::Duration;

/// Talks to `api_base` (Stripe, or a local emulator in tests).
#[derive(Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    api_base: String,
    secret_key: String,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeClient").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct IntentBody {
    id: String,
    client_secret: Option<String>,
    status: IntentStatus,
    amount: i64,
    #[serde(default)]
    latest_charge: Option<ChargeRef>,
}

/// `latest_charge`: an id, or the charge itself when expanded (the emulator inlines it).
#[derive(Deserialize)]
#[serde(untagged)]
enum ChargeRef {
    Id(String),
    Object { id: String },
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

/// One attempt's failure: retry it or not.
enum Attempt {
    Retry,
    Final(PaymentError),
}

impl StripeClient {
    /// A client with a 10 s connect and 30 s total timeout per attempt.
    pub fn new(api_base: &str, secret_key: &str) -> anyhow::Result<StripeClient> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(StripeClient {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }

    /// One request with retries; the Connect calls share it.
    pub(super) async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<T, PaymentError> {
        let attempt = || async {
            let mut req =
                self.http.request(method.clone(), format!("{}{path}", self.api_base)).bearer_auth(&self.secret_key);
            if let Some(key) = idempotency_key {
                req = req.header("Idempotency-Key", key);
            }
            if !form.is_empty() {
                req = req.form(form);
            }
            let res = req.send().await.map_err(|e| {
                tracing::warn!(error = %e, path, "payment provider unreachable");
                Attempt::Retry
            })?;
            let status = res.status();
            if status.is_success() {
                return res
                    .json::<T>()
                    .await
                    .map_err(|e| Attempt::Final(PaymentError::Refused(format!("unreadable answer: {e}"))));
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                tracing::warn!(%status, path, "payment provider busy or failing; retrying");
                return Err(Attempt::Retry);
            }
            let body: Option<ErrorBody> = res.json().await.ok();
            let (kind, message) = body
                .map(|b| (b.error.kind.unwrap_or_default(), b.error.message.unwrap_or_default()))
                .unwrap_or_default();
            if kind == "card_error" || status == StatusCode::PAYMENT_REQUIRED {
                let message = if message.is_empty() { "your card was declined".to_owned() } else { message };
                return Err(Attempt::Final(PaymentError::Declined(message)));
            }
            tracing::error!(%status, kind, message, path, "payment provider refused a request");
            Err(Attempt::Final(PaymentError::Refused(format!("{status} {kind}"))))
        };
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(200))
                    .with_max_times(3)
                    .with_jitter(),
            )
            .when(|e| matches!(e, Attempt::Retry))
            .await
            .map_err(|e| match e {
                Attempt::Retry => PaymentError::Unavailable,
                Attempt::Final(e) => e,
            })
    }

    fn intent(body: IntentBody) -> Intent {
        Intent {
            id: body.id,
            client_secret: body.client_secret.unwrap_or_default(),
            status: body.status,
            amount: body.amount,
            charge: body.latest_charge.map(|c| match c {
                ChargeRef::Id(id) | ChargeRef::Object { id } => id,
            }),
        }
    }

    /// `POST /v1/payment_intents`.
    pub async fn create_intent(
        &self,
        amount: i64,
        currency: &str,
        capture: CaptureMethod,
        metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<Intent, PaymentError> {
        let mut form = vec![
            ("amount".to_owned(), amount.to_string()),
            ("currency".to_owned(), currency.to_owned()),
            ("payment_method_types[]".to_owned(), "card".to_owned()),
            ("capture_method".to_owned(), capture.as_str().to_owned()),
        ];
        for (k, v) in metadata {
            form.push((format!("metadata[{k}]"), v.clone()));
        }
        self.call(Method::POST, "/v1/payment_intents", &form, Some(idempotency_key)).await.map(Self::intent)
    }

    /// `GET /v1/payment_intents/:id`.
    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, PaymentError> {
        self.call(Method::GET, &format!("/v1/payment_intents/{id}"), &[], None).await.map(Self::intent)
    }

    /// `POST /v1/payment_intents/:id/capture`.
    pub async fn capture_intent(&self, id: &str, idempotency_key: &str) -> Result<Intent, PaymentError> {
        self.call(Method::POST, &format!("/v1/payment_intents/{id}/capture"), &[], Some(idempotency_key))
            .await
            .map(Self::intent)
    }

    /// `POST /v1/payment_intents/:id/cancel`.
    pub async fn cancel_intent(&self, id: &str, idempotency_key: &str) -> Result<Intent, PaymentError> {
        self.call(Method::POST, &format!("/v1/payment_intents/{id}/cancel"), &[], Some(idempotency_key))
            .await
            .map(Self::intent)
    }

    /// `POST /v1/refunds` for `amount` of the intent's charge.
    pub async fn refund(&self, intent: &str, amount: i64, idempotency_key: &str) -> Result<(), PaymentError> {
        let form = [("payment_intent".to_owned(), intent.to_owned()), ("amount".to_owned(), amount.to_string())];
        self.call::<serde_json::Value>(Method::POST, "/v1/refunds", &form, Some(idempotency_key)).await.map(|_| ())
    }
}
