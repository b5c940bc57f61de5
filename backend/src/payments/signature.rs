//! Stripe signs each webhook as `Stripe-Signature: t=<unix time>,v1=<hex hmac>[,v1=…]`, where
//! the HMAC-SHA256 key is the endpoint secret and the message is `"<t>.<raw body>"`. Several
//! `v1` entries appear while a secret is being rotated; any one matching is enough.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How old a signed timestamp may be, in seconds (Stripe's default tolerance).
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No header, or no `t=`/`v1=` in it.
    #[error("missing or malformed Stripe-Signature header")]
    Malformed,
    /// The timestamp is too far from now (a replay).
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    /// No `v1` matches.
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` for `body` against `secret` at `now` (unix seconds).
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    candidates.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for candidate in candidates {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        // verify_slice compares in constant time.
        if mac.verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs `body` as Stripe would (for tests and tools that send webhooks).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    // HMAC takes keys of any length, so this never falls through to the empty string.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_its_own_signature_and_refuses_changes() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_a", 1_000);
        assert_eq!(verify(&header, body, "whsec_a", 1_000), Ok(()));
        assert_eq!(verify(&header, body, "whsec_b", 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, br#"{"id":"evt_2"}"#, "whsec_a", 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, body, "whsec_a", 1_000 + TOLERANCE_SECS + 1), Err(SignatureError::Stale));
        assert_eq!(verify("garbage", body, "whsec_a", 1_000), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_v1_may_match_during_rotation() {
        let body = b"{}";
        let old = sign(body, "whsec_old", 50);
        let new = sign(body, "whsec_new", 50);
        let v1 = |h: &str| h.split_once(",v1=").map(|(_, v)| v.to_owned()).unwrap_or_default();
        let header = format!("t=50,v1={},v1={}", v1(&old), v1(&new));
        assert_eq!(verify(&header, body, "whsec_new", 60), Ok(()));
        assert_eq!(verify(&header, body, "whsec_old", 60), Ok(()));
    }
}
