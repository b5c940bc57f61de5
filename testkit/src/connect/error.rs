//! Error answers shaped like Stripe's: `{"error": {"type", "message", "param"?, "code"?}}`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// One refused request.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<&'static str>,
    /// Whether an idempotency key keeps this answer. Stripe keeps the result of a request once
    /// the endpoint started executing, but not of one whose parameters failed validation: a
    /// client may fix its parameters and retry with the same key.
    pub saved: bool,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, kind, message: message.into(), param: None, code: None, saved: true }
    }

    fn param(mut self, param: &str) -> ApiError {
        self.param = Some(param.to_owned());
        self
    }

    fn code(mut self, code: &'static str) -> ApiError {
        self.code = Some(code);
        self
    }

    /// Marks a parameter-validation failure, which an idempotency key does not keep.
    fn validation(mut self) -> ApiError {
        self.saved = false;
        self
    }

    /// A 400 `invalid_request_error` about `param` (a rule of the call, not of its shape).
    pub fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message).param(param)
    }

    /// A 400 `invalid_request_error` with a Stripe error code.
    pub fn refused(param: &str, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(param, message).code(code)
    }

    /// A parameter of the wrong form (not an integer, not one of the allowed values, …).
    pub fn malformed(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(param, message).validation()
    }

    /// A parameter of the wrong form, with a Stripe error code.
    pub fn malformed_code(param: &str, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(param, message).code(code).validation()
    }

    /// `parameter_unknown`: a name the endpoint does not document.
    pub fn unknown(param: &str) -> ApiError {
        ApiError::malformed_code(param, "parameter_unknown", format!("Received unknown parameter: {param}"))
    }

    /// `parameter_missing`.
    pub fn missing(param: &str) -> ApiError {
        ApiError::malformed_code(param, "parameter_missing", format!("Missing required param: {param}."))
    }

    /// `parameter_invalid_empty`: an empty value, which Stripe reads as an attempt to unset.
    pub fn empty(param: &str) -> ApiError {
        ApiError::malformed_code(
            param,
            "parameter_invalid_empty",
            format!(
                "You passed an empty string for '{param}'. We assume empty values are an attempt to unset a \
                 parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or \
                 supply a non-empty value."
            ),
        )
    }

    /// A body that is not a form at all.
    pub fn unreadable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message).validation()
    }

    /// `resource_missing` for an id in the path (404, like Stripe's retrieve calls).
    pub fn no_such(object: &str, id: &str, param: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "invalid_request_error", format!("No such {object}: '{id}'"))
            .param(param)
            .code("resource_missing")
    }

    /// `resource_missing` for an id given as a parameter (400, like Stripe's create calls).
    pub fn no_such_param(object: &str, id: &str, param: &str) -> ApiError {
        ApiError::refused(param, "resource_missing", format!("No such {object}: '{id}'"))
    }

    /// No key, or not the double's key.
    pub fn bad_key() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", "Invalid API Key provided").validation()
    }

    /// A path (or a method on it) Stripe does not have, or the double does not model.
    pub fn unrecognized(method: &str, path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at \
                 https://support.stripe.com/."
            ),
        )
        .validation()
    }

    /// A request the double deliberately does not model, refused loudly rather than answered
    /// with something made up.
    pub fn not_modelled(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("{} (not modelled by the Stripe Connect test double)", message.into()),
        )
        .validation()
    }

    /// A `Stripe-Account` the platform has no access to.
    pub fn no_access(account: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            format!(
                "The provided key does not have access to account '{account}' (or that account does not exist). \
                 Application access may have been revoked."
            ),
        )
        .code("account_invalid")
        .validation()
    }

    /// The same idempotency key with other parameters (or on another endpoint).
    pub fn idempotency(key: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{key}' if you meant to execute a different request."
            ),
        )
        .validation()
    }

    /// What `fail_next_writes` answers: Stripe's own failure, safe to retry.
    pub fn outage() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "An unknown error occurred (injected by the Connect test double's fail_next_writes).",
        )
        .validation()
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.kind));
        error.insert("message".into(), json!(self.message));
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
            );
        }
        json!({ "error": error })
    }
}
