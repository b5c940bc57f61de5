use super::extract::{AuthUser, Json, Path};
use crate::auth::client_ip::{bucket, client_addr};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use parkway_core::api::{
    AuthResponse, Items, LoginRequest, PasswordChange, RefreshRequest, RegisterRequest, Role, SessionInfo, TokenPair,
    User,
};
use parkway_core::text::{self, Email, Password, limits};
use std::net::SocketAddr;
use uuid::Uuid;

/// The cookie the web UI keeps its refresh token in (read only by the auth routes).
pub const REFRESH_COOKIE: &str = "parkway_refresh";

/// `/api/auth/*` and `/api/me`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
        .route("/auth/sessions", get(sessions))
        .route("/auth/sessions/{id}", delete(end_session))
        .route("/me", get(me))
}

/// Takes one attempt from the caller's address bucket (the peer, or what a trusted proxy
/// forwarded; IPv6 per /64).
async fn limit_address(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> AppResult<()> {
    let client = client_addr(peer.ip(), headers, &state.config.trusted_proxies);
    state.auth_limit.check(bucket(client)).await
}

/// The refresh token cookie: `HttpOnly` so page scripts never see it, `SameSite=Strict` so
/// other sites cannot spend it, scoped to the auth routes, `Secure` behind https.
fn refresh_cookie(state: &AppState, token: &str, max_age_secs: i64) -> Option<HeaderValue> {
    let secure =
        if state.config.public_url.as_deref().is_some_and(|u| u.starts_with("https://")) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={token}; Path=/api/auth; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .ok()
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// Opens a session for `user` and answers with its tokens (and the cookie).
async fn signed_in(state: &AppState, user: User, headers: &HeaderMap, status: StatusCode) -> AppResult<Response> {
    let now = state.clock.now();
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let (session, refresh_token) = state.store.open_session(user.id, agent, now).await?;
    let token = state.tokens.issue(user.id, &user.roles, session, now.timestamp())?;
    let cookie = refresh_cookie(state, &refresh_token, crate::store::sessions::SESSION_DAYS * 86_400);
    let mut response = (status, Json(AuthResponse { token, refresh_token, user })).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<RegisterRequest>,
) -> AppResult<Response> {
    limit_address(&state, peer, &headers).await?;
    let email = Email::parse(&req.email)?;
    let password = Password::parse(&req.password)?;
    let name = text::required("name", &req.name, limits::NAME)?;
    let mut roles: Vec<Role> = Vec::new();
    for r in req.roles {
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    if roles.is_empty() {
        return Err(AppError::validation("roles must name at least one of \"driver\" and \"owner\""));
    }
    let hash = state.hasher.hash(password.expose()).await?;
    let user = state.store.create_user(email.as_str(), &name, &hash, &roles, state.clock.now()).await?;
    tracing::info!(user = %user.id, "account created");
    signed_in(&state, user, &headers, StatusCode::CREATED).await
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> AppResult<Response> {
    limit_address(&state, peer, &headers).await?;
    let refused = || AppError::unauthorized("the email or password is incorrect");
    if req.password.chars().count() > Password::MAX_CHARS {
        return Err(refused());
    }
    let email = Email::parse(&req.email).ok();
    let now = state.clock.now();
    // Guesses are counted per account too, whatever address they come from.
    if let Some(email) = &email
        && let Some(wait) = state.store.guesses_exhausted(email.as_str(), now).await?
    {
        return Err(AppError::RateLimited(wait));
    }
    let creds = match &email {
        Some(email) => state.store.credentials_by_email(email.as_str()).await?,
        None => None,
    };
    // Verify even when the email is unknown, so both answers take the same time.
    let ok = state.hasher.verify(&req.password, creds.as_ref().map(|c| c.password_hash.as_str())).await?;
    if let Some(email) = &email {
        state.store.record_guess(email.as_str(), ok && creds.is_some(), now).await?;
    }
    match creds {
        Some(c) if ok => signed_in(&state, c.user, &headers, StatusCode::OK).await,
        _ => Err(refused()),
    }
}

async fn refresh(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> AppResult<Response> {
    // The body is optional: the web UI sends only its cookie.
    let req: RefreshRequest = if body.is_empty() {
        RefreshRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::validation(format!("the body is not valid: {e}")))?
    };
    let by_cookie = req.refresh_token.is_none();
    let token = req
        .refresh_token
        .or_else(|| cookie_token(&headers))
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(|| AppError::unauthorized("send the refresh token of your last sign-in"))?;
    let now = state.clock.now();
    let refreshed = state.store.refresh_session(&token, now).await?;
    let user = state.store.user(refreshed.user).await?.ok_or_else(|| AppError::unauthorized("no such account"))?;
    let access = state.tokens.issue(user.id, &user.roles, refreshed.session, now.timestamp())?;
    let cookie = refresh_cookie(&state, &refreshed.refresh_token, crate::store::sessions::SESSION_DAYS * 86_400);
    let next = (!by_cookie).then(|| refreshed.refresh_token.clone());
    let mut response = Json(TokenPair { token: access, refresh_token: next }).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn logout(State(state): State<AppState>, user: AuthUser) -> AppResult<Response> {
    state.store.end_session(user.id(), user.0.sid, "signed out", state.clock.now()).await?;
    state.hub.end_sessions(user.id(), &[user.0.sid]);
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = refresh_cookie(&state, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    let now = state.clock.now();
    let account = state.store.user(user.id()).await?.ok_or_else(|| AppError::unauthorized("no such account"))?;
    let creds = state.store.credentials_by_email(&account.email).await?;
    let hash = creds.as_ref().map(|c| c.password_hash.as_str());
    if let Some(wait) = state.store.guesses_exhausted(&account.email, now).await? {
        return Err(AppError::RateLimited(wait));
    }
    let right = state.hasher.verify(&req.current_password, hash).await?;
    state.store.record_guess(&account.email, right, now).await?;
    if !right {
        return Err(AppError::forbidden("the current password is incorrect"));
    }
    let new = Password::parse(&req.new_password)?;
    let new_hash = state.hasher.hash(new.expose()).await?;
    let ended = state.store.change_password(user.id(), &new_hash, user.0.sid, now).await?;
    state.hub.end_sessions(user.id(), &ended);
    tracing::info!(user = %user.id(), ended = ended.len(), "password changed; other sessions ended");
    Ok(StatusCode::NO_CONTENT)
}

async fn sessions(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<Items<SessionInfo>>> {
    Ok(Json(Items { items: state.store.sessions_of(user.id(), user.0.sid, state.clock.now()).await? }))
}

async fn end_session(State(state): State<AppState>, user: AuthUser, Path(id): Path<Uuid>) -> AppResult<StatusCode> {
    state.store.end_session(user.id(), id, "ended from the session list", state.clock.now()).await?;
    state.hub.end_sessions(user.id(), &[id]);
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<User>> {
    state.store.user(user.id()).await?.map(Json).ok_or_else(|| AppError::unauthorized("this account no longer exists"))
}
