//! Request extractors that answer in the API's error format.

use crate::auth::Claims;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sessions::{self, TokenSession};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parkway_core::ErrorCode;
use parkway_core::api::Role;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::marker::PhantomData;

/// A JSON object body; bad JSON, a body that is not an object, a wrong type or a missing field
/// is `400 validation_failed` naming the field, an oversized body `413 payload_too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(Object(value)) = axum::Json::<Object<T>>::from_request(req, state).await?;
        Ok(Json(value))
    }
}

/// `T` read from a JSON object only: serde would also take a struct written as an array of its
/// fields, so `[null, null]` would have been an empty driveway change.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OnlyAMap<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OnlyAMap<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(OnlyAMap(PhantomData))
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::Api(ErrorCode::PayloadTooLarge, "the request body is larger than 64 KiB".into());
        }
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::validation("send the body as JSON with Content-Type: application/json")
            }
            JsonRejection::JsonDataError(e) => AppError::validation(serde_detail(&e.body_text())),
            JsonRejection::JsonSyntaxError(e) => {
                AppError::validation(format!("the body is not valid JSON: {}", serde_detail(&e.body_text())))
            }
            other => AppError::validation(other.body_text()),
        }
    }
}

/// axum prefixes serde's message with its own sentence; keep the part that names the field.
fn serde_detail(text: &str) -> String {
    text.split_once(": ").map_or(text, |(_, rest)| rest).to_owned()
}

/// Query parameters, with the same error format.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> AppError {
        AppError::validation(serde_detail(&rejection.body_text()))
    }
}

/// Path parameters; an id that cannot exist is simply not found.
#[derive(Debug, Clone, Copy, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> AppError {
        AppError::not_found("resource")
    }
}

fn bearer(parts: &Parts) -> Option<Result<&str, AppError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::unauthorized("the Authorization header must be \"Bearer <token>\""));
    Some(token)
}

/// A valid token of a session still open: a signed-out or replaced session's tokens are refused
/// at once, on every instance, however long they had left.
async fn verify(state: &AppState, token: &str) -> Result<Claims, AppError> {
    let now = state.clock.now();
    let claims = state.tokens.verify(token, now.timestamp())?;
    if state.store.session_open(claims.sub, claims.sid, now).await? { Ok(claims) } else { Err(sessions::refused()) }
}

fn require(claims: &Claims, role: Role) -> Result<(), AppError> {
    if claims.has(role) { Ok(()) } else { Err(AppError::forbidden(format!("this needs a {} account", role.as_str()))) }
}

/// The signed-in user; `401 unauthorized` without a valid token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl AuthUser {
    /// Refuses with `403 forbidden` unless the user has `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        require(&self.0, role)
    }

    /// The user's id.
    pub fn id(&self) -> uuid::Uuid {
        self.0.sub
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match bearer(parts) {
            None => Err(AppError::unauthorized("sign in first: this needs an Authorization: Bearer token")),
            Some(token) => Ok(AuthUser(verify(state, token?).await?)),
        }
    }
}

/// The holder of a validly signed token whose session is **not yet checked**: for a write that
/// checks it inside its own transaction (a new booking), which saves the request a round trip.
/// Every other route takes [`AuthUser`].
#[derive(Debug, Clone)]
pub struct SignedUser(Claims);

impl SignedUser {
    /// Refuses with `403 forbidden` unless the token carries `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        require(&self.0, role)
    }

    /// The session the store must find open before it acts.
    pub fn session(&self) -> TokenSession {
        TokenSession { user: self.0.sub, session: self.0.sid }
    }
}

impl FromRequestParts<AppState> for SignedUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match bearer(parts) {
            None => Err(AppError::unauthorized("sign in first: this needs an Authorization: Bearer token")),
            Some(token) => Ok(SignedUser(state.tokens.verify(token?, state.clock.now().timestamp())?)),
        }
    }
}

/// The signed-in user if a token was sent (public routes); a bad token is still refused.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Claims>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match bearer(parts) {
            None => Ok(MaybeUser(None)),
            Some(token) => Ok(MaybeUser(Some(verify(state, token?).await?))),
        }
    }
}

/// `?after=&limit=`: a page of something read in id order (notifications, messages), after the
/// last id the client has.
#[derive(Debug, serde::Deserialize)]
pub struct AfterPage {
    /// The last id the client has (0 or absent: from the start).
    pub after: Option<i64>,
    /// How many at most.
    pub limit: Option<i64>,
}
