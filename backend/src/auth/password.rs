use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords with Argon2id at OWASP's recommended cost (19 MiB, 2 passes,
/// 1 lane). Each hash takes tens of milliseconds of CPU, so it runs on the blocking pool, at most
/// one per core at a time: a burst of logins queues instead of starving every other request.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified when the email is unknown so that an unknown
    /// email takes as long as a wrong password.
    decoy: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher")
    }
}

fn argon() -> Argon2<'static> {
    // These constants are valid, so `Params::new` cannot fail; fall back to the library's
    // defaults (also Argon2id) rather than panic.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

impl PasswordHasher {
    /// A hasher allowing as many concurrent hashes as there are cores.
    pub fn new() -> anyhow::Result<PasswordHasher> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let decoy = hash_blocking(&uuid::Uuid::new_v4().to_string())?;
        Ok(PasswordHasher { permits: Arc::new(Semaphore::new(cores)), decoy: Arc::new(decoy) })
    }

    /// A PHC-format Argon2id hash of `password`.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// True when `password` matches `hash`. With no hash (unknown user) it checks the decoy and
    /// returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let known = hash.is_some();
        let hash = hash.map(str::to_owned).unwrap_or_else(|| self.decoy.as_str().to_owned());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).map(|parsed| argon().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
        .map_err(|e| anyhow::anyhow!("stored hash is unreadable: {e}"))?;
        Ok(known && matches)
    }
}
