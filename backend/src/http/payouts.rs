//! `/api/payouts/*`: an owner's payout account and its onboarding.
//!
//! With the simulated provider (no Stripe key, the embedded default) onboarding is a page on
//! this server, labelled as simulated, that completes at once; settled bookings' shares are then
//! recorded as transfers by the background job, and no money moves. Stripe Connect onboarding is
//! not offered yet: a server with a Stripe key answers `503` rather than pretend.

use super::extract::{AuthUser, Query};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::sessions::{hash, new_secret};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{OnboardingLink, PayoutAccount, Role};
use parkway_core::earnings::AccountStatus;
use serde::Deserialize;

/// How long an onboarding link works.
const LINK_MINUTES: i64 = 30;
/// Where the owner lands after onboarding: the web UI's earnings page.
const RETURN_PATH: &str = "/owner/earnings";

/// `/api/payouts/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payouts/account", get(account))
        .route("/payouts/onboarding", post(onboarding))
        .route("/payouts/simulated/onboarding", get(simulated_page).post(simulated_finish))
}

async fn account(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<PayoutAccount>> {
    user.require(Role::Owner)?;
    let simulated = state.payments.is_simulated();
    Ok(Json(match state.store.payout_account(user.id()).await? {
        None => PayoutAccount {
            status: AccountStatus::None,
            payouts_enabled: false,
            requirements_due: Vec::new(),
            simulated,
        },
        Some(a) => PayoutAccount {
            status: a.status,
            payouts_enabled: a.payouts_enabled,
            requirements_due: a.requirements_due,
            simulated,
        },
    }))
}

async fn onboarding(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> AppResult<Json<OnboardingLink>> {
    user.require(Role::Owner)?;
    if !state.payments.is_simulated() {
        return Err(AppError::Api(
            ErrorCode::Unavailable503,
            "payouts through Stripe are not set up on this server yet; your earnings wait for you".into(),
        ));
    }
    let token = new_secret();
    let now = state.clock.now();
    let account_id = format!("acct_sim_{}", uuid::Uuid::new_v4().simple());
    state
        .store
        .start_onboarding(user.id(), &account_id, &hash(&token), now + Duration::minutes(LINK_MINUTES), now)
        .await?;
    Ok(Json(OnboardingLink {
        url: format!("{}/api/payouts/simulated/onboarding?token={token}", origin(&state, &headers)),
    }))
}

/// Where this server is reached: `PARKWAY_PUBLIC_URL`, or the request's own host.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

#[derive(Debug, Deserialize)]
struct Token {
    token: String,
}

impl Token {
    /// The token as handed out: 64 lower-case hex digits ([`new_secret`]). Anything else is
    /// refused before it reaches the page or the store.
    fn checked(&self) -> AppResult<&str> {
        let t = self.token.as_str();
        if t.len() == 64 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(t)
        } else {
            Err(AppError::validation("token must be the 64 hex digits of an onboarding link"))
        }
    }
}

/// The simulated provider's onboarding page: one button, clearly labelled.
async fn simulated_page(State(state): State<AppState>, Query(t): Query<Token>) -> AppResult<Response> {
    if !state.payments.is_simulated() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let token = t.checked()?;
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Payout details (simulated)</title></head><body>\
         <main><h1>Payout details</h1><p><strong>Simulated — no money moves.</strong> This Parkway server has no \
         payment provider, so there are no bank details to give. Finishing here marks your payout account \
         active, and your settled earnings are recorded as transferred.</p>\
         <form method=\"post\" action=\"/api/payouts/simulated/onboarding\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\"><button type=\"submit\">Finish onboarding</button>\
         </form></main></body></html>"
    ))
    .into_response())
}

/// Completes the simulated onboarding and sends the owner back to their earnings.
async fn simulated_finish(
    State(state): State<AppState>,
    form: Result<Form<Token>, FormRejection>,
) -> AppResult<Response> {
    if !state.payments.is_simulated() {
        return Err(AppError::not_found("page"));
    }
    let Form(t) = form.map_err(|e| AppError::validation(format!("unreadable form: {e}")))?;
    if !state.store.finish_simulated_onboarding(&hash(t.checked()?), state.clock.now()).await? {
        return Err(AppError::not_found("onboarding link (it was used or has expired; start again from Earnings)"));
    }
    Ok(Redirect::to(&format!("{RETURN_PATH}?onboarded=1")).into_response())
}
