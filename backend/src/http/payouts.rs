//! `/api/payouts*`: an owner's payout account, its onboarding, their payouts, and the Connect
//! webhook that keeps both current.
//!
//! With Stripe, an owner gets an Express account and is sent to Stripe's onboarding through an
//! account link; the link's refresh URL (on this server, with a one-time token) makes a new one
//! when the old one is spent, and its return URL sends the owner back to their earnings.
//! Whether the account is ready is learnt from `account.updated` events, never by asking
//! Stripe on each visit. With the simulated provider (no Stripe key, the embedded default)
//! onboarding is a page on this server, labelled as simulated, that completes at once.

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
use parkway_core::api::{Items, OnboardingLink, PayoutAccount, PayoutLine, Role};
use parkway_core::earnings::AccountStatus;
use parkway_core::money::{Cents, Currency};
use serde::Deserialize;

/// How long an onboarding link works: the simulated page's, or the refresh URL handed to
/// Stripe (the owner may come back to a spent Stripe link later the same day).
const LINK_MINUTES: i64 = 30;
const REFRESH_HOURS: i64 = 24;
/// Where the owner lands after onboarding: the web UI's earnings page.
const RETURN_PATH: &str = "/owner/earnings";

/// `/api/payouts/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payouts", get(list))
        .route("/payouts/account", get(account))
        .route("/payouts/onboarding", post(onboarding))
        .route("/payouts/onboarding/refresh", get(refresh))
        .route("/payouts/onboarding/return", get(back))
        .route("/payouts/webhook", post(super::connect_events::webhook))
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

async fn list(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Items<PayoutLine>>> {
    user.require(Role::Owner)?;
    let items = state
        .store
        .payouts_of(user.id())
        .await?
        .into_iter()
        .map(|p| {
            Ok(PayoutLine {
                id: p.payout_id,
                amount_cents: Cents(p.amount_cents),
                currency: Currency::parse(&p.currency).map_err(|e| anyhow::anyhow!("stored currency: {e}"))?,
                status: p.status,
                failure_message: p.failure_message,
                arrival_time: p.arrival,
                created_at: p.created,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(Items { items }))
}

async fn onboarding(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> AppResult<Json<OnboardingLink>> {
    user.require(Role::Owner)?;
    let token = new_secret();
    let now = state.clock.now();
    let origin = origin(&state, &headers);
    if state.connect.is_simulated() {
        let account_id = format!("acct_sim_{}", uuid::Uuid::new_v4().simple());
        state
            .store
            .start_onboarding(user.id(), &account_id, &hash(&token), now + Duration::minutes(LINK_MINUTES), now)
            .await?;
        return Ok(Json(OnboardingLink { url: format!("{origin}/api/payouts/simulated/onboarding?token={token}") }));
    }
    let account_id = match state.store.payout_account(user.id()).await? {
        Some(a) => a.account_id,
        None => {
            let email = state.store.user(user.id()).await?.map(|u| u.email).unwrap_or_default();
            state.connect.create_account(&user.id().to_string(), &email).await?
        }
    };
    state
        .store
        .start_onboarding(user.id(), &account_id, &hash(&token), now + Duration::hours(REFRESH_HOURS), now)
        .await?;
    let url = stripe_link(&state, &origin, &account_id, &token).await?;
    Ok(Json(OnboardingLink { url }))
}

/// A new Stripe account link whose refresh URL carries `token`.
async fn stripe_link(state: &AppState, origin: &str, account_id: &str, token: &str) -> AppResult<String> {
    let refresh = format!("{origin}/api/payouts/onboarding/refresh?token={token}");
    let back = format!("{origin}/api/payouts/onboarding/return");
    state
        .connect
        .onboarding_link(account_id, &refresh, &back)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the simulated provider makes no Stripe links")))
}

/// Stripe sends the owner here when their link was spent or expired: a new one, at once.
async fn refresh(State(state): State<AppState>, headers: HeaderMap, Query(t): Query<Token>) -> AppResult<Response> {
    if state.connect.is_simulated() {
        return Err(AppError::not_found("page"));
    }
    let token = t.checked()?;
    let Some((_, account_id)) = state.store.account_by_link(&hash(token), state.clock.now()).await? else {
        return Err(AppError::not_found("onboarding link (it has expired; start again from Earnings)"));
    };
    let url = stripe_link(&state, &origin(&state, &headers), &account_id, token).await?;
    Ok(Redirect::to(&url).into_response())
}

/// Stripe sends the owner here when they leave its onboarding, finished or not; what they
/// finished arrives as an `account.updated` event.
async fn back() -> Redirect {
    Redirect::to(&format!("{RETURN_PATH}?onboarded=1"))
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
    if !state.connect.is_simulated() {
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
    if !state.connect.is_simulated() {
        return Err(AppError::not_found("page"));
    }
    let Form(t) = form.map_err(|e| AppError::validation(format!("unreadable form: {e}")))?;
    if !state.store.finish_simulated_onboarding(&hash(t.checked()?), state.clock.now()).await? {
        return Err(AppError::not_found("onboarding link (it was used or has expired; start again from Earnings)"));
    }
    Ok(Redirect::to(&format!("{RETURN_PATH}?onboarded=1")).into_response())
}
