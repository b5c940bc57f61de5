//! `/api/devices` and `/api/me/notification-settings`: where a user's notifications are
//! pushed when no Parkway window is open, and which kinds are.
//!
//! A Web Push endpoint is a URL the server will later send requests to, given by whoever signs
//! up. It is accepted only at a browser push service (HTTPS, at one of the hosts the browsers
//! use) or at an origin the operator names in `PARKWAY_WEB_PUSH_ORIGINS`, so a device cannot
//! point the server at an address inside its own network.

use super::extract::{AuthUser, Json, Path};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::devices::PushAddress;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parkway_core::api::Items;
use parkway_core::device::{
    Device, InvalidToken, MAX_ENDPOINT_CHARS, NewDevice, NotificationSettings, Platform, PushToken, WebPushSubscription,
};
use uuid::Uuid;

/// The hosts of the browsers' push services (Chrome and Edge on Firebase, Firefox, Safari,
/// Windows), each with its subdomains.
const PUSH_SERVICE_HOSTS: &[&str] =
    &["fcm.googleapis.com", "push.services.mozilla.com", "push.apple.com", "notify.windows.com"];

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list).post(register))
        .route("/devices/{id}", delete(remove))
        .route("/me/notification-settings", get(settings).put(change_settings))
        .route("/push/web-key", get(web_key))
}

/// `GET /api/push/web-key`: the key a browser subscribes with (`applicationServerKey`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WebKey {
    public_key: String,
}

async fn web_key(State(state): State<AppState>) -> AppResult<Json<WebKey>> {
    let key = state.push.web_public_key().ok_or_else(|| AppError::not_found("Web Push"))?;
    Ok(Json(WebKey { public_key: key.to_owned() }))
}

/// What `body` asks to register, checked: the token or subscription its platform needs, and
/// nothing else.
fn checked(body: NewDevice, extra_origins: &[String]) -> AppResult<PushAddress> {
    match (body.platform, body.token, body.subscription) {
        (Platform::Android, Some(token), None) => Ok(PushAddress::Fcm(phone_token(PushToken::fcm(&token))?)),
        (Platform::Ios, Some(token), None) => Ok(PushAddress::Apns(phone_token(PushToken::apns(&token))?)),
        (Platform::Web, None, Some(subscription)) => web_subscription(subscription, extra_origins),
        (Platform::Web, _, _) => Err(AppError::validation("a web device gives its subscription, and no token")),
        (_, _, _) => Err(AppError::validation("a phone gives its push token, and no subscription")),
    }
}

/// A phone's token, checked by the rules core keeps for server and app alike.
fn phone_token(checked: Result<PushToken, InvalidToken>) -> AppResult<String> {
    checked.map(|t| t.as_str().to_owned()).map_err(|e| AppError::validation(format!("token: {e}")))
}

/// A Web Push subscription: an endpoint at a push service and well-formed keys.
fn web_subscription(subscription: WebPushSubscription, extra_origins: &[String]) -> AppResult<PushAddress> {
    let endpoint = subscription.endpoint;
    if endpoint.len() > MAX_ENDPOINT_CHARS {
        return Err(AppError::validation(format!("subscription.endpoint: at most {MAX_ENDPOINT_CHARS} characters")));
    }
    let url = reqwest::Url::parse(&endpoint).map_err(|_| AppError::validation("subscription.endpoint: not a URL"))?;
    let at_push_service = url.scheme() == "https"
        && url.port().is_none()
        && url.host_str().is_some_and(|host| {
            PUSH_SERVICE_HOSTS.iter().any(|known| host == *known || host.ends_with(&format!(".{known}")))
        });
    let origin = url.origin().ascii_serialization();
    if !at_push_service && !extra_origins.contains(&origin) {
        return Err(AppError::validation("subscription.endpoint: not at a browser's push service"));
    }
    let key = |name: &str, value: &str, len: usize| -> AppResult<()> {
        match URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')) {
            Ok(bytes) if bytes.len() == len && (name != "p256dh" || bytes[0] == 4) => Ok(()),
            _ => Err(AppError::validation(format!("subscription.keys.{name}: not a key of {len} bytes in base64url"))),
        }
    };
    key("p256dh", &subscription.keys.p256dh, 65)?;
    key("auth", &subscription.keys.auth, 16)?;
    Ok(PushAddress::Web { endpoint, p256dh: subscription.keys.p256dh, auth: subscription.keys.auth })
}

async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Items<Device>>> {
    Ok(Json(Items { items: state.store.devices(user.id()).await? }))
}

async fn register(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewDevice>,
) -> AppResult<(StatusCode, Json<Device>)> {
    let to = checked(body, &state.config.web_push_origins)?;
    Ok((StatusCode::CREATED, Json(state.store.register_device(user.id(), &to, state.clock.now()).await?)))
}

async fn remove(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<StatusCode> {
    state.store.delete_device(user.id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn settings(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<NotificationSettings>> {
    Ok(Json(state.store.notification_settings(user.id()).await?))
}

async fn change_settings(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NotificationSettings>,
) -> AppResult<Json<NotificationSettings>> {
    Ok(Json(state.store.set_notification_settings(user.id(), &body).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parkway_core::device::WebPushKeys;

    fn web(endpoint: &str) -> NewDevice {
        NewDevice {
            platform: Platform::Web,
            token: None,
            subscription: Some(WebPushSubscription {
                endpoint: endpoint.to_owned(),
                keys: WebPushKeys {
                    p256dh: URL_SAFE_NO_PAD.encode([[4u8].as_slice(), &[7u8; 64]].concat()),
                    auth: URL_SAFE_NO_PAD.encode([9u8; 16]),
                },
            }),
        }
    }

    #[test]
    fn web_endpoints_are_accepted_only_at_push_services() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "https://web.push.apple.com/QGx",
            "https://wns2-by3p.notify.windows.com/w/?token=abc",
        ] {
            assert!(checked(web(ok), &[]).is_ok(), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://fcm.googleapis.com:8443/x",
            "https://evilfcm.googleapis.com.attacker.example/x",
            "https://notfcm.googleapis.com.example/x",
            "https://127.0.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "https://localhost/x",
            "not a url",
        ] {
            assert!(checked(web(bad), &[]).is_err(), "{bad}");
        }
        let local = vec!["http://127.0.0.1:9000".to_owned()];
        assert!(checked(web("http://127.0.0.1:9000/push/1"), &local).is_ok(), "an origin the operator named");
        assert!(checked(web("http://127.0.0.1:9001/push/1"), &local).is_err(), "another port is another origin");
    }

    #[test]
    fn keys_and_tokens_have_their_shapes() {
        let mut bad_key = web("https://fcm.googleapis.com/fcm/send/abc");
        if let Some(s) = bad_key.subscription.as_mut() {
            s.keys.auth = URL_SAFE_NO_PAD.encode([1u8; 15]);
        }
        assert!(checked(bad_key, &[]).is_err());
        let phone = |platform, token: &str| NewDevice { platform, token: Some(token.to_owned()), subscription: None };
        assert!(checked(phone(Platform::Android, "dGhpcyBpcyBh:APA91bH-x_y"), &[]).is_ok());
        assert!(checked(phone(Platform::Android, "has space"), &[]).is_err());
        assert!(checked(phone(Platform::Android, ""), &[]).is_err());
        assert!(checked(phone(Platform::Ios, &"aB".repeat(32)), &[]).is_ok());
        assert!(checked(phone(Platform::Ios, &"g".repeat(64)), &[]).is_err());
        assert!(checked(phone(Platform::Ios, "abcd"), &[]).is_err());
        assert!(checked(phone(Platform::Web, "abcd"), &[]).is_err(), "a browser has no token");
        let mut both = web("https://fcm.googleapis.com/fcm/send/abc");
        both.token = Some("abc".into());
        assert!(checked(both, &[]).is_err());
    }
}
