//! Who is calling: password hashing and session tokens (the login rate limit is in
//! `crate::ratelimit`).

/// The client's address for rate limits (trusted proxies, IPv6 per /64).
pub mod client_ip;
/// Session tokens (JWT, HS256 pinned).
pub mod jwt;
/// Argon2id password hashing off the async threads.
pub mod password;

pub use jwt::{Claims, TokenKeys};
pub use password::PasswordHasher;
