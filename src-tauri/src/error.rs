//! The app's one error type. It serialises to the API's error body, `{error, message}` with the
//! `status` it stands for, so the UI handles an error from a command exactly like one from the server.

use parkway_core::ErrorCode;
use parkway_core::outbox::Verdict;
use serde::ser::SerializeStruct;

/// Everything an app command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error body.
    #[error("{message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The API's error code.
        code: ErrorCode,
        /// The server's sentence.
        message: String,
    },
    /// The server could not be reached (no network, timeout, server down).
    #[error("Parkway's server cannot be reached right now")]
    Offline(String),
    /// The app's own storage failed.
    #[error("the app could not read or write its local data")]
    Local(#[from] sqlx::Error),
    /// The OS keychain failed or is not there (its sentence, never the secret).
    #[error("the system keychain: {0}")]
    Keychain(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The HTTP status this error stands for (503 when the server cannot be reached).
    pub fn status(&self) -> u16 {
        match self {
            Error::Api { status, .. } => *status,
            Error::Offline(_) => 503,
            Error::Local(_) | Error::Keychain(_) | Error::Other(_) => 500,
        }
    }

    /// The API error code this error is shown as ("offline" is the app's own: the UI treats
    /// it like a network failure).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Api { code, .. } => code.as_str(),
            Error::Offline(_) => "offline",
            Error::Local(_) | Error::Keychain(_) | Error::Other(_) => "internal",
        }
    }

    /// True when trying again later may succeed: no network, 429 or a server error.
    pub fn is_retryable(&self) -> bool {
        self.verdict() == Verdict::Retry
    }

    /// What the outbox makes of this error (the rules in `parkway_core::outbox`); the app's own
    /// failures refuse for good.
    pub fn verdict(&self) -> Verdict {
        match self {
            Error::Offline(_) => Verdict::of(None, None),
            Error::Api { status, code, .. } => Verdict::of(Some(*status), Some(*code)),
            Error::Local(_) | Error::Keychain(_) | Error::Other(_) => Verdict::Refused,
        }
    }

    /// What the outbox makes of an answer: a booking, or [`Error::verdict`].
    pub fn verdict_of<T>(answer: &Result<T>) -> Verdict {
        answer.as_ref().map_or_else(Error::verdict, |_| Verdict::Booked)
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut body = s.serialize_struct("Error", 3)?;
        body.serialize_field("status", &self.status())?;
        body.serialize_field("error", self.code())?;
        body.serialize_field("message", &self.to_string())?;
        body.end()
    }
}

/// Shorthand for command results.
pub type Result<T> = std::result::Result<T, Error>;
