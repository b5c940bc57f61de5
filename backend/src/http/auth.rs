use super::extract::{AuthUser, Json};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use parkway_core::api::{AuthResponse, LoginRequest, RegisterRequest, Role, User};
use parkway_core::text::{self, Email, Password, limits};
use std::net::SocketAddr;

/// `/api/auth/*` and `/api/me`.
pub fn router() -> Router<AppState> {
    Router::new().route("/auth/register", post(register)).route("/auth/login", post(login)).route("/me", get(me))
}

fn respond(state: &AppState, user: User) -> AppResult<AuthResponse> {
    let token = state.tokens.issue(user.id, &user.roles, state.clock.now().timestamp())?;
    Ok(AuthResponse { token, user })
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<RegisterRequest>,
) -> AppResult<(StatusCode, Json<AuthResponse>)> {
    state.auth_limit.check(peer.ip()).await?;
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
    Ok((StatusCode::CREATED, Json(respond(&state, user)?)))
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<LoginRequest>,
) -> AppResult<Json<AuthResponse>> {
    state.auth_limit.check(peer.ip()).await?;
    let refused = || AppError::unauthorized("the email or password is incorrect");
    if req.password.chars().count() > Password::MAX_CHARS {
        return Err(refused());
    }
    let creds = match Email::parse(&req.email) {
        Ok(email) => state.store.credentials_by_email(email.as_str()).await?,
        Err(_) => None,
    };
    // Verify even when the email is unknown, so both answers take the same time.
    let ok = state.hasher.verify(&req.password, creds.as_ref().map(|c| c.password_hash.as_str())).await?;
    match creds {
        Some(c) if ok => Ok(Json(respond(&state, c.user)?)),
        _ => Err(refused()),
    }
}

async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<User>> {
    state.store.user(user.id()).await?.map(Json).ok_or_else(|| AppError::unauthorized("this account no longer exists"))
}
