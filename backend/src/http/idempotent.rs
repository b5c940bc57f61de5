//! Requests a client may send again safely: the `Idempotency-Key` header read and fingerprinted
//! with what the request asks, and a `201` that says when it replays an earlier answer. The
//! store keeps the answers (`store::idempotency`).

use super::extract::Json;
use crate::error::{AppError, AppResult};
use crate::store::idempotency::Idempotency;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parkway_core::text::limits;
use sha2::{Digest, Sha256};

fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= limits::IDEMPOTENCY_KEY)
        .ok_or_else(|| {
            AppError::validation(format!("Idempotency-Key must be 1 to {} visible characters", limits::IDEMPOTENCY_KEY))
        })?;
    Ok(Some(key.to_owned()))
}

/// The request's retry key and the fingerprint of what it asks (`request`, serialised), so
/// that the same key with another request is refused.
pub fn idempotency(headers: &HeaderMap, request: &impl serde::Serialize) -> AppResult<Option<Idempotency>> {
    let Some(key) = idempotency_key(headers)? else { return Ok(None) };
    // The fingerprint covers the parsed request, so whitespace or field order in the JSON
    // does not make a retry look different.
    let canonical = serde_json::to_vec(request).map_err(anyhow::Error::from)?;
    Ok(Some(Idempotency { key, request_hash: hex::encode(Sha256::digest(&canonical)) }))
}

/// `201` with what was made, marked when it replays an earlier answer.
pub fn created_answer(made: impl serde::Serialize, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(made)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}
