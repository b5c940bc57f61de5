//! The server's one error type, and how each error becomes an HTTP answer.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parkway_core::slot::SlotError;
use parkway_core::{ApiError, ErrorCode, TimeSlot};
use std::panic::Location;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A contract error with its code (status from [`ErrorCode::status`]) and a sentence.
    #[error("{1}")]
    Api(ErrorCode, String),
    /// 409 `slot_taken`, with the slots in the way and, for an extension, the furthest end
    /// that would still fit.
    #[error("that time overlaps another booking of this driveway")]
    SlotTaken(Vec<TimeSlot>, Option<chrono::DateTime<chrono::Utc>>),
    /// 429 `rate_limited`, with the seconds to wait.
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// 500: a database failure; logged with its cause and where in the code it was met (the
    /// store operation that failed), never shown.
    #[error("database error")]
    Database(sqlx::Error, &'static Location<'static>),
    /// 500: anything else unexpected; logged with its cause, never shown.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for handler and store results.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// 400 `validation_failed`.
    pub fn validation(message: impl Into<String>) -> AppError {
        AppError::Api(ErrorCode::ValidationFailed, message.into())
    }

    /// 404 `not_found` for a kind of thing ("booking", "driveway").
    pub fn not_found(what: &str) -> AppError {
        AppError::Api(ErrorCode::NotFound, format!("no such {what}"))
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::Api(ErrorCode::Unauthorized, message.into())
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::Api(ErrorCode::Forbidden, message.into())
    }

    /// 409 `invalid_transition`.
    pub fn invalid_transition(message: impl Into<String>) -> AppError {
        AppError::Api(ErrorCode::InvalidTransition, message.into())
    }

    /// The status and body this error answers with.
    pub fn to_parts(&self) -> (StatusCode, ApiError) {
        let (code, body) = match self {
            AppError::Api(code, message) => (*code, ApiError::new(*code, message.clone())),
            AppError::SlotTaken(conflicts, latest_end) => {
                let mut body = ApiError::new(ErrorCode::SlotTaken, self.to_string());
                body.conflicts = Some(conflicts.clone());
                body.latest_end_time = *latest_end;
                (ErrorCode::SlotTaken, body)
            }
            AppError::RateLimited(_) => {
                (ErrorCode::RateLimited, ApiError::new(ErrorCode::RateLimited, self.to_string()))
            }
            AppError::Database(..) | AppError::Internal(_) => (
                ErrorCode::Internal,
                ApiError::new(ErrorCode::Internal, "something went wrong on our side; please try again"),
            ),
        };
        (StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body)
    }
}

impl From<sqlx::Error> for AppError {
    /// Called by `?`, so `at` is the line of the `?` that met the error: the operation that
    /// failed, for the log.
    #[track_caller]
    fn from(e: sqlx::Error) -> AppError {
        AppError::Database(e, Location::caller())
    }
}

impl From<SlotError> for AppError {
    fn from(e: SlotError) -> AppError {
        AppError::Api(ErrorCode::InvalidTimeRange, e.to_string())
    }
}

impl From<parkway_core::text::TextError> for AppError {
    fn from(e: parkway_core::text::TextError) -> AppError {
        AppError::validation(e.0)
    }
}

impl From<parkway_core::geo::GeoError> for AppError {
    fn from(e: parkway_core::geo::GeoError) -> AppError {
        AppError::validation(e.to_string())
    }
}

impl From<parkway_core::availability::ScheduleError> for AppError {
    fn from(e: parkway_core::availability::ScheduleError) -> AppError {
        AppError::validation(e.to_string())
    }
}

impl From<parkway_core::trust::Refusal> for AppError {
    fn from(r: parkway_core::trust::Refusal) -> AppError {
        AppError::Api(r.code(), r.to_string())
    }
}

impl From<parkway_core::extension::ExtendRefusal> for AppError {
    fn from(r: parkway_core::extension::ExtendRefusal) -> AppError {
        AppError::Api(r.code(), r.to_string())
    }
}

impl From<parkway_core::review::ReviewRefusal> for AppError {
    fn from(r: parkway_core::review::ReviewRefusal) -> AppError {
        AppError::Api(r.code(), r.to_string())
    }
}

impl From<parkway_core::booking::InvalidTransition> for AppError {
    fn from(e: parkway_core::booking::InvalidTransition) -> AppError {
        AppError::invalid_transition(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Database(e, at) => tracing::error!(error = %e, at = %at, "database error"),
            AppError::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            _ => {}
        }
        let (status, body) = self.to_parts();
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::RateLimited(secs) = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of the `?` in `failing_operation`.
    const FAILING_LINE: u32 = line!() + 3;

    fn failing_operation() -> AppResult<()> {
        Err(sqlx::Error::RowNotFound)?;
        Ok(())
    }

    #[test]
    fn a_database_error_names_the_line_that_met_it_and_shows_nothing() {
        let Err(AppError::Database(_, at)) = failing_operation() else { panic!("not a database error") };
        assert!(at.file().ends_with("error.rs") && at.line() == FAILING_LINE, "located at {at}, not at the `?`");
        let (status, body) = AppError::Database(sqlx::Error::RowNotFound, at).to_parts();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.message.contains("row"), "the cause leaked: {}", body.message);
    }
}
