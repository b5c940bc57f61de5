use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords with Argon2id at OWASP's recommended cost (19 MiB, 2 passes,
/// 1 lane). Each hash takes tens of milliseconds of CPU, so it runs on a few dedicated threads,
/// one per core: a burst of logins queues instead of starving every other request. Dedicated
/// threads also bound memory: the allocator keeps each thread's 19 MiB working area for reuse,
/// so a handful of threads cost a handful of areas, where the blocking pool's hundreds would
/// each keep one.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
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
    /// A hasher with one worker thread per core.
    pub fn new() -> anyhow::Result<PasswordHasher> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..cores {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("password-{i}")).spawn(move || {
                loop {
                    // The lock is held only while taking a job, not while running it.
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // every sender is gone: the server stopped
                    }
                }
            })?;
        }
        let decoy = hash_blocking(&uuid::Uuid::new_v4().to_string())?;
        Ok(PasswordHasher { jobs, decoy: Arc::new(decoy) })
    }

    /// Runs `work` on a hashing thread and waits for its answer.
    async fn on_worker<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| anyhow::anyhow!("password workers stopped"))?;
        Ok(rx.await?)
    }

    /// A PHC-format Argon2id hash of `password`.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.on_worker(move || hash_blocking(&password)).await?
    }

    /// True when `password` matches `hash`. With no hash (unknown user) it checks the decoy and
    /// returns false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let hash = hash.map(str::to_owned).unwrap_or_else(|| self.decoy.as_str().to_owned());
        let password = password.to_owned();
        let matches = self
            .on_worker(move || {
                PasswordHash::new(&hash).map(|parsed| argon().verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?
            .map_err(|e| anyhow::anyhow!("stored hash is unreadable: {e}"))?;
        Ok(known && matches)
    }
}
