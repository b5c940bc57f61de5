//! The app's integration tests against the real server. They live in one test binary so that
//! the suite links the app once rather than once per file.

mod common;
mod keychain;
mod listen;
mod media_cache;
mod outbox_sync;
mod push_device;
mod saved_session;
mod session;
