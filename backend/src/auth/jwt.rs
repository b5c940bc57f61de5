use crate::config::Secret;
use crate::error::AppError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use parkway_core::api::Role;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

const ISSUER: &str = "parkway";
const AUDIENCE: &str = "parkway-api";

/// What a session token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The user's roles when the token was issued.
    pub roles: Vec<Role>,
    /// The session this token belongs to: ending it ends the token.
    pub sid: Uuid,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Always `parkway`.
    pub iss: String,
    /// Always `parkway-api`.
    pub aud: String,
}

impl Claims {
    /// True when the token's user has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Signs and checks session tokens. The algorithm is pinned to HS256, so a token that names
/// another algorithm (or `none`) is refused.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(…)")
    }
}

impl TokenKeys {
    /// Keys from the configured secret; tokens live for `ttl`.
    pub fn new(secret: &Secret, ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the server's clock in `verify`, so it follows the same
        // notion of "now" as everything else (and tests can move it).
        validation.validate_exp = false;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            ttl,
        }
    }

    /// A token for `user` issued at `now` (seconds).
    pub fn issue(&self, user: Uuid, roles: &[Role], session: Uuid, now: i64) -> Result<String, AppError> {
        let claims = Claims {
            sub: user,
            roles: roles.to_vec(),
            sid: session,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a token failed: {e}")))
    }

    /// The claims of a valid token that has not expired at `now` (seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, AppError> {
        let refused = || AppError::unauthorized("your session is invalid or has expired; please sign in again");
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| refused())?;
        if claims.exp <= now {
            return Err(refused());
        }
        Ok(claims)
    }
}
