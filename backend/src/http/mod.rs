//! The HTTP API: one module per resource, each with its own `router()`.

/// Sign-up, sign-in and the current user.
pub mod auth;
/// Bookings and their state changes.
pub mod bookings;
/// `GET /api/driveways/clusters`: wide views, grouped.
pub mod clusters;
/// `POST /api/payouts/webhook`: Stripe Connect events.
mod connect_events;
/// Devices notifications are pushed to, and which kinds are.
pub mod devices;
/// Driveways: listing, search, availability, quotes.
pub mod driveways;
/// An owner's earnings: fees, nets and where the money stands; JSON or CSV.
pub mod earnings;
/// Extractors that answer in the API's error format.
pub mod extract;
/// Security headers and the limits every request runs under.
pub mod guard;
/// Liveness and readiness.
pub mod health;
/// The `Idempotency-Key` of requests that create something.
pub mod idempotent;
/// A stay's thread between its driver and its owner.
pub mod messages;
/// Owner metrics.
pub mod metrics;
/// The notification inbox.
pub mod notifications;
/// The OpenAPI description of this API.
pub mod openapi;
/// Payment intents, webhooks and the simulated provider.
pub mod payments;
/// Owners' payout accounts and their onboarding.
pub mod payouts;
/// Driveway photos and the media files.
pub mod photos;
/// `GET /api/places`: place search.
pub mod places;
/// A paid booking's receipt, as a page to print or a PDF.
pub mod receipts;
/// Reviews of completed stays and a driveway's reviews.
pub mod reviews;
/// The street map's PMTiles archive.
pub mod tiles;
/// A driver's vehicles.
pub mod vehicles;
/// Live notifications over a WebSocket.
pub mod ws;

use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::response::IntoResponse;
use parkway_core::ErrorCode;
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The whole application: API routes, the built UI (when configured) and the middleware.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = Router::new()
        .merge(auth::router())
        .merge(clusters::router())
        .merge(driveways::router())
        .merge(bookings::router())
        .merge(notifications::router())
        .merge(earnings::router())
        .merge(messages::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .merge(payments::router())
        .merge(payouts::router())
        .merge(photos::router())
        .merge(places::router())
        .merge(receipts::router())
        .merge(reviews::router())
        .merge(vehicles::router())
        .merge(devices::router())
        .merge(ws::router())
        .fallback(|| async { AppError::not_found("route") });
    let mut router = Router::new()
        .nest("/api", api)
        .merge(health::router())
        .merge(photos::media_router())
        .merge(tiles::router(state.config.tiles_file.as_deref()));
    if let Some(dir) = &state.config.ui_dir {
        // Client-side routes (/bookings, /owner, ...) all load the app's index.html.
        let index = ServeFile::new(dir.join("index.html"));
        router = router.fallback_service(ServeDir::new(dir).fallback(index));
    } else {
        router = router.fallback(|| async { AppError::not_found("page") });
    }
    let limits = guard::Limits::from_config(&state.config);
    let headers = guard::SecurityHeaders::from_config(&state.config);
    let hosts = guard::HostCheck::from_config(&state.config);
    let router = router
        .method_not_allowed_fallback(|| async {
            AppError::Api(ErrorCode::MethodNotAllowed, "this route does not accept that method".into())
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response));
    headers
        .apply(hosts.apply(limits.apply(router)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    // The path only: query strings can carry tokens (the WebSocket's ?token=).
                    tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    let (_, body) =
        AppError::Api(ErrorCode::Internal, "something went wrong on our side; please try again".into()).to_parts();
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}
