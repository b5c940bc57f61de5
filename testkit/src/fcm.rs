//! A **test double** of Firebase Cloud Messaging's HTTP v1 API and of Google's OAuth 2.0 token
//! endpoint, for tests only. It is not Google. It hands out a service account key whose
//! `token_uri` is itself, and checks what Google would:
//!
//! - the sign-in: a JWT bearer grant whose assertion is signed (RS256) by the account's key,
//!   issued by the account's email, for the messaging scope, addressed to the token endpoint,
//!   lasting at most an hour; it answers an access token;
//! - each message: that access token, the account's project, a device token, a notification's
//!   title and body, data whose values are all strings (FCM refuses others), and the Android
//!   options' priority and TTL in their formats.
//!
//! A device token marked gone answers `404 NOT_FOUND` with `UNREGISTERED`, as Firebase does
//! once an app is uninstalled.

use crate::taken::Taken;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

const PROJECT: &str = "parkway-test";
const CLIENT_EMAIL: &str = "push@parkway-test.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const PRIVATE_KEY: &str = include_str!("../keys/fcm-test-private.pem");
const PUBLIC_KEY: &str = include_str!("../keys/fcm-test-public.pem");

/// A message the double took.
#[derive(Debug, Clone)]
pub struct Message {
    /// The device token it was for.
    pub token: String,
    /// The whole `message` object.
    pub message: Value,
}

#[derive(Default)]
struct World {
    access_tokens: BTreeSet<String>,
    sign_ins: usize,
    gone: BTreeSet<String>,
    refused: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    world: Arc<Mutex<World>>,
    origin: String,
    messages: Arc<Taken<Message>>,
}

impl Shared {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The double, serving until dropped.
pub struct FcmDouble {
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FcmDouble {
    /// Starts on a free loopback port.
    pub async fn start() -> FcmDouble {
        let mut shared = None;
        let task = crate::serve_on_loopback(|origin| {
            let state = Shared { world: Default::default(), origin: origin.to_owned(), messages: Arc::default() };
            shared = Some(state.clone());
            Router::new()
                .route("/token", post(token))
                .route("/v1/projects/{project}/messages:send", post(send))
                .with_state(state)
        })
        .await;
        FcmDouble { shared: shared.expect("the router was made"), task }
    }

    /// The service account's JSON key, as Google's console gives it, signing in here.
    pub fn service_account_json(&self) -> String {
        json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test",
            "private_key": PRIVATE_KEY,
            "client_email": CLIENT_EMAIL,
            "client_id": "1",
            "token_uri": format!("{}/token", self.shared.origin),
        })
        .to_string()
    }

    /// Where messages are sent (in place of `https://fcm.googleapis.com`).
    pub fn api_base(&self) -> &str {
        &self.shared.origin
    }

    /// From now on, messages to `token` answer `UNREGISTERED`.
    pub fn uninstall(&self, token: &str) {
        self.shared.world().gone.insert(token.to_owned());
    }

    /// How many messages were taken.
    pub fn message_count(&self) -> usize {
        self.shared.messages.len()
    }

    /// Every message taken, in order.
    pub fn messages(&self) -> Vec<Message> {
        self.shared.messages.all()
    }

    /// How many times the server signed in.
    pub fn sign_ins(&self) -> usize {
        self.shared.world().sign_ins
    }

    /// Why requests were refused.
    pub fn refused(&self) -> Vec<String> {
        self.shared.world().refused.clone()
    }

    /// Waits until at least `count` messages were taken (the caller bounds the wait).
    pub async fn wait_for(&self, count: usize) -> Vec<Message> {
        self.shared.messages.wait_for(count).await
    }
}

impl Drop for FcmDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn refuse(shared: &Shared, status: StatusCode, why: String) -> Response {
    shared.world().refused.push(why.clone());
    (status, axum::Json(json!({"error": {"code": status.as_u16(), "message": why}}))).into_response()
}

async fn token(State(shared): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return refuse(&shared, StatusCode::BAD_REQUEST, "grant_type is not jwt-bearer".into());
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse(&shared, StatusCode::BAD_REQUEST, "no assertion".into());
    };
    let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()) else {
        return refuse(&shared, StatusCode::INTERNAL_SERVER_ERROR, "the double's public key".into());
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[format!("{}/token", shared.origin)]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let claims = match jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => return refuse(&shared, StatusCode::UNAUTHORIZED, format!("assertion: {e}")),
    };
    if claims["scope"] != SCOPE {
        return refuse(&shared, StatusCode::BAD_REQUEST, format!("scope {}", claims["scope"]));
    }
    let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
    if exp - iat > 3600 {
        return refuse(&shared, StatusCode::BAD_REQUEST, "an assertion lasts at most an hour".into());
    }
    let mut world = shared.world();
    world.sign_ins += 1;
    let access = format!("ya29.test-{}", world.sign_ins);
    world.access_tokens.insert(access.clone());
    axum::Json(json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn send(
    State(shared): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|b| shared.world().access_tokens.contains(b)) {
        return refuse(&shared, StatusCode::UNAUTHORIZED, "no access token of ours".into());
    }
    if project != PROJECT {
        return refuse(&shared, StatusCode::FORBIDDEN, format!("project {project}"));
    }
    let message = &body["message"];
    let Some(token) = message["token"].as_str().filter(|t| !t.is_empty()) else {
        return refuse(&shared, StatusCode::BAD_REQUEST, "no token".into());
    };
    let problems = [
        (!message["notification"]["title"].is_string(), "notification.title"),
        (!message["notification"]["body"].is_string(), "notification.body"),
        (!message["data"].as_object().is_some_and(|d| d.values().all(Value::is_string)), "data values must be strings"),
        (!matches!(message["android"]["priority"].as_str(), Some("HIGH" | "NORMAL")), "android.priority"),
        (
            message["android"]["ttl"]
                .as_str()
                .and_then(|t| t.strip_suffix('s'))
                .is_none_or(|n| n.parse::<u64>().is_err()),
            "android.ttl",
        ),
    ];
    if let Some((_, what)) = problems.iter().find(|(bad, _)| *bad) {
        return refuse(&shared, StatusCode::BAD_REQUEST, format!("invalid {what}"));
    }
    if shared.world().gone.contains(token) {
        let error = json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}});
        return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
    }
    let count = shared.messages.push(Message { token: token.to_owned(), message: message.clone() });
    let name = format!("projects/{PROJECT}/messages/{count}");
    axum::Json(json!({"name": name})).into_response()
}
