//! Who is calling: password hashing, session tokens and the login rate limit.

/// The client's address for rate limits (trusted proxies, IPv6 per /64).
pub mod client_ip;
/// Session tokens (JWT, HS256 pinned).
pub mod jwt;
/// Argon2id password hashing off the async threads.
pub mod password;
/// Per-address limit on login and register attempts.
pub mod ratelimit;

pub use jwt::{Claims, TokenKeys};
pub use password::PasswordHasher;
pub use ratelimit::AuthRateLimit;
