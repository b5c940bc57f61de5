//! Tooling for Parkway's tests and benchmarks, never shipped: the backend's API tests and
//! `cargo xtask bench` use it, the server and the desktop app do not depend on it.

/// A Stripe Connect test double (accounts, onboarding links, transfers, reversals, payouts,
/// signed Connect events) on loopback, because Stripe's emulator has no Connect API.
pub mod connect;

/// An Apple Push Notification service double, HTTP/2 only.
pub mod apns;

/// A Firebase Cloud Messaging (HTTP v1) and Google sign-in double.
pub mod fcm;

/// A Web Push service double: checks the VAPID signature and decrypts each push as the
/// browser would (RFC 8291).
pub mod webpush;

/// A throwaway PostgreSQL server for tests and benchmarks (Unix only: it runs Debian's
/// PostgreSQL programs through `sh`).
#[cfg(unix)]
pub mod pgtemp;
