//! `GET /api/bookings/{id}/receipt`: a paid booking's receipt, for its driver or its owner, as
//! a page to print (the default) or as a PDF (`Accept: application/pdf`, or `?format=pdf` for
//! clients that cannot set headers on a download or a link).

use super::extract::{AuthUser, Path, Query};
use crate::error::AppResult;
use crate::receipts::{self, Sheet, html, pdf};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

/// `/api/bookings/{id}/receipt`.
pub fn router() -> Router<AppState> {
    Router::new().route("/bookings/{id}/receipt", get(receipt))
}

#[derive(Debug, Deserialize)]
struct Params {
    /// Wins over `Accept`.
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Html,
    Pdf,
}

async fn receipt(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let facts = state.store.receipt_facts(user.id(), id, state.clock.now()).await?;
    let receipt = receipts::receipt(facts, &state.config);
    let sheet = Sheet::of(&receipt);
    let format = params.format.unwrap_or_else(|| if wants_pdf(&headers) { Format::Pdf } else { Format::Html });
    let mut response = match format {
        Format::Html => {
            let mut response = html::render(&sheet).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(html::CONTENT_SECURITY_POLICY));
            response
        }
        Format::Pdf => {
            let filename = format!("inline; filename=\"parkway-receipt-{}.pdf\"", receipt.number);
            // Shaping text and subsetting the font is CPU work of a few milliseconds: kept off
            // the threads that serve requests.
            let bytes = tokio::task::spawn_blocking(move || pdf::render(&receipt, &sheet))
                .await
                .map_err(anyhow::Error::from)??;
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&filename).map_err(anyhow::Error::from)?);
            response
        }
    };
    // A receipt names people and places, and a later refund changes it: no cache keeps it.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// True when the client asks for a PDF at least as much as for a page: `application/pdf`
/// with a weight above zero, and no HTML type weighted above it. Wildcards choose neither, so
/// a browser's `text/html,…,*/*;q=0.8` gets the page.
fn wants_pdf(headers: &HeaderMap) -> bool {
    let (mut pdf, mut html) = (0.0_f32, 0.0_f32);
    for value in headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            match media.as_str() {
                "application/pdf" => pdf = pdf.max(weight),
                "text/html" | "application/xhtml+xml" => html = html.max(weight),
                _ => {}
            }
        }
    }
    pdf > 0.0 && pdf >= html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).expect("a header value"));
        h
    }

    #[test]
    fn a_pdf_is_asked_for_by_accept() {
        assert!(!wants_pdf(&HeaderMap::new()), "a page by default");
        assert!(wants_pdf(&accept("application/pdf")));
        assert!(wants_pdf(&accept("application/pdf, */*;q=0.1")));
        assert!(wants_pdf(&accept("text/html;q=0.5, application/pdf")));
        assert!(!wants_pdf(&accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));
        assert!(!wants_pdf(&accept("application/pdf;q=0.4, text/html")));
        assert!(!wants_pdf(&accept("application/pdf;q=0")));
        assert!(!wants_pdf(&accept("*/*")));
    }
}
