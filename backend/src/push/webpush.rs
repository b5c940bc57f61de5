//! Web Push: a payload encrypted for the browser (RFC 8291, `aes128gcm` of RFC 8188) and sent
//! to its push service with the server's VAPID signature (RFC 8292).
//!
//! The encryption is composed here from RustCrypto's P-256, HKDF and AES-GCM: the Web Push
//! crates for Rust encrypt through OpenSSL, which nothing else in the server needs. A test holds
//! it to RFC 8291's worked example byte for byte.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size written in the header: one record holds any payload of ours.
const RECORD_SIZE: u32 = 4096;
/// The largest payload one record carries: the record, less the AEAD tag and the delimiter.
pub const MAX_PAYLOAD: usize = RECORD_SIZE as usize - 16 - 1 - 86;

/// Why a payload could not be encrypted for a subscription.
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    /// The browser's key is not a P-256 point, or its secret not 16 bytes.
    #[error("the subscription's keys are not usable: {0}")]
    Keys(&'static str),
    /// Over [`MAX_PAYLOAD`].
    #[error("a payload of {0} bytes is more than one record holds")]
    TooLarge(usize),
}

/// The server's VAPID key: it signs every request, and browsers subscribe with its public half.
#[derive(Clone)]
pub struct Vapid {
    key: EncodingKey,
    public: String,
    subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid").field("public", &self.public).field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl Vapid {
    /// From the private key as `web-push generate-vapid-keys` prints it (32 bytes, base64url)
    /// and the operator's contact (`mailto:` or `https:`), which push services may use.
    pub fn new(private_key: &str, subject: &str) -> anyhow::Result<Vapid> {
        let bytes = URL_SAFE_NO_PAD
            .decode(private_key.trim().trim_end_matches('='))
            .map_err(|_| anyhow::anyhow!("not base64url"))?;
        let secret = SecretKey::from_slice(&bytes).map_err(|_| anyhow::anyhow!("not a P-256 private key"))?;
        if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
            anyhow::bail!("the subject is a mailto: or https: URL");
        }
        let der = secret.to_pkcs8_der().map_err(|e| anyhow::anyhow!("encoding the key: {e}"))?;
        Ok(Vapid {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public: URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            subject: subject.to_owned(),
        })
    }

    /// The public key (uncompressed point, base64url): a browser's `applicationServerKey`.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `Authorization` header for a request to `origin`, valid for 12 hours.
    pub fn authorization(&self, origin: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: i64,
            sub: &'a str,
        }
        let claims = Claims { aud: origin, exp: now.timestamp() + 12 * 3600, sub: &self.subject };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key)?;
        Ok(format!("vapid t={token}, k={}", self.public))
    }
}

/// `payload` encrypted for a browser whose public key is `p256dh` and secret `auth` (both
/// base64url, as its subscription gives them): the body of the push request.
pub fn encrypt(payload: &[u8], p256dh: &str, auth: &str) -> Result<Vec<u8>, EncryptError> {
    let ephemeral = loop {
        // A random 32-byte string is a valid scalar all but 2^-32 of the time.
        if let Ok(key) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            break key;
        }
    };
    encrypt_with(payload, p256dh, auth, &ephemeral, rand::random::<[u8; 16]>())
}

/// [`encrypt`] with a chosen ephemeral key and salt (RFC 8291, section 3.4).
fn encrypt_with(
    payload: &[u8],
    p256dh: &str,
    auth: &str,
    ephemeral: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, EncryptError> {
    use aes_gcm::aead::{Aead, KeyInit};
    if payload.len() > MAX_PAYLOAD {
        return Err(EncryptError::TooLarge(payload.len()));
    }
    let ua_public_bytes =
        URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).map_err(|_| EncryptError::Keys("p256dh"))?;
    let ua_public = PublicKey::from_sec1_bytes(&ua_public_bytes).map_err(|_| EncryptError::Keys("p256dh"))?;
    let auth: [u8; 16] = URL_SAFE_NO_PAD
        .decode(auth.trim_end_matches('='))
        .ok()
        .and_then(|a| a.try_into().ok())
        .ok_or(EncryptError::Keys("auth"))?;
    let as_public = ephemeral.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), ua_public.as_affine());

    // IKM from the shared secret, bound to the browser's secret and both public keys.
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.to_encoded_point(false).as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(&auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EncryptError::Keys("length"))?;
    // The content key and nonce (RFC 8188, section 2.2 and 2.3).
    let content = hkdf::Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    content.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(|_| EncryptError::Keys("length"))?;
    content.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(|_| EncryptError::Keys("length"))?;

    // One record: the payload and the last record's delimiter, 2.
    let mut record = payload.to_vec();
    record.push(2);
    let cipher = aes_gcm::Aes128Gcm::new(&cek.into());
    let sealed = cipher.encrypt(&nonce.into(), record.as_slice()).map_err(|_| EncryptError::Keys("cipher"))?;

    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).expect("base64url")
    }

    /// RFC 8291, Appendix A: the sender's key and salt fixed, the body must be the RFC's.
    #[test]
    fn the_rfc_8291_example_encrypts_to_its_body() {
        let ephemeral = SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).expect("key");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");
        let body = encrypt_with(
            b"When I grow up, I want to be a watermelon",
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
            &ephemeral,
            salt,
        )
        .expect("encrypted");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_keys_and_large_payloads_are_refused() {
        let auth = "BTBZMqHH6r4Tts7J_aSIgg";
        let p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        let off_curve = URL_SAFE_NO_PAD.encode([[4u8].as_slice(), &[7u8; 64]].concat());
        assert!(matches!(encrypt(b"x", &off_curve, auth), Err(EncryptError::Keys("p256dh"))));
        assert!(matches!(encrypt(b"x", p256dh, "AAAA"), Err(EncryptError::Keys("auth"))));
        assert!(matches!(encrypt(&[0u8; MAX_PAYLOAD + 1], p256dh, auth), Err(EncryptError::TooLarge(_))));
        assert!(encrypt(&[0u8; MAX_PAYLOAD], p256dh, auth).is_ok());
    }

    #[test]
    fn a_vapid_key_signs_for_the_push_service() {
        let vapid =
            Vapid::new("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94", "mailto:ops@parkway.example").expect("key");
        assert_eq!(vapid.public_key().len(), 87);
        let header = vapid.authorization("https://fcm.googleapis.com", Utc::now()).expect("signed");
        let token = header.strip_prefix("vapid t=").and_then(|h| h.split(", k=").next()).expect("token");
        let public = PublicKey::from_sec1_bytes(&b64(vapid.public_key())).expect("point");
        let point = public.to_encoded_point(false);
        let (x, y) = (point.x().expect("x"), point.y().expect("y"));
        let key = jsonwebtoken::DecodingKey::from_ec_components(&URL_SAFE_NO_PAD.encode(x), &URL_SAFE_NO_PAD.encode(y))
            .expect("decoding key");
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://fcm.googleapis.com"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).expect("verified");
        assert_eq!(claims.claims["sub"], "mailto:ops@parkway.example");
        assert!(Vapid::new("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94", "ops@parkway.example").is_err());
        assert!(Vapid::new("short", "mailto:a@b.c").is_err());
    }
}
