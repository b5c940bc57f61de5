//! Driveway photos: an owner uploads (multipart), orders and deletes them
//! (`/api/driveways/:id/photos…`); everyone fetches the files at `/media/:key`.
//!
//! An upload is checked before it is read (the owner's driveway, room in its gallery), read up
//! to its limit, decoded and encoded again off the async workers (at most one image per CPU at a
//! time), stored, and only then added to the gallery. Files that end up in no gallery are
//! removed again.

use super::extract::{AuthUser, Json, Path};
use crate::error::{AppError, AppResult};
use crate::imaging::{self, ImageRefusal};
use crate::state::AppState;
use crate::store::photos::StoredFiles;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use parkway_core::ErrorCode;
use parkway_core::api::Items;
use parkway_core::photo::{MAX_UPLOAD_BYTES, Photo, PhotoOrder};
use uuid::Uuid;

/// Room for the multipart framing around the file.
const FRAMING: usize = 64 * 1024;

/// `/api/driveways/{id}/photos…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/driveways/{id}/photos", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + FRAMING)))
        .route("/driveways/{id}/photos/order", put(order))
        .route("/driveways/{id}/photos/{photoId}", delete(remove))
}

/// `/media/{key}`, beside the API (images are fetched by `<img>`, without a token).
pub fn media_router() -> Router<AppState> {
    Router::new().route("/media/{key}", get(media))
}

fn too_large() -> AppError {
    AppError::Api(ErrorCode::PayloadTooLarge, format!("a photo may be at most {} MB", MAX_UPLOAD_BYTES / (1024 * 1024)))
}

fn multipart_error(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::validation(format!("the upload is not a readable multipart form: {text}"))
    }
}

/// The bytes of the form's `photo` field, at most [`MAX_UPLOAD_BYTES`].
async fn photo_field(form: Result<Multipart, MultipartRejection>) -> AppResult<Vec<u8>> {
    let mut form = form.map_err(|e| multipart_error(e.status(), e.body_text()))?;
    while let Some(mut field) = form.next_field().await.map_err(|e| multipart_error(e.status(), e.body_text()))? {
        if field.name() != Some("photo") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e.status(), e.body_text()))? {
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(AppError::validation("the form has no `photo` file"))
}

async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<Photo>)> {
    state.store.check_photo_room(user.id(), id).await?;
    // Each upload holds its file in memory while it arrives: only so many at once.
    let _slot = state.upload_slots.try_acquire().map_err(|_| {
        AppError::Api(ErrorCode::Unavailable503, "too many photos are being uploaded; try again in a moment".into())
    })?;
    let bytes = photo_field(form).await?;
    let prepared = {
        let _permit = state
            .image_work
            .acquire()
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("image workers stopped")))?;
        tokio::task::spawn_blocking(move || imaging::prepare(&bytes))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("image work failed: {e}")))?
    };
    let prepared = prepared.map_err(|e: ImageRefusal| AppError::validation(e.to_string()))?;
    let photo_key = state.media.put(prepared.photo).await.map_err(anyhow::Error::from)?;
    let thumb_key = state.media.put(prepared.thumb).await.map_err(anyhow::Error::from)?;
    let files = StoredFiles { photo_key, thumb_key, width: prepared.width, height: prepared.height };
    match state.store.add_photo(user.id(), id, &files, state.clock.now()).await {
        Ok(photo) => Ok((StatusCode::CREATED, Json(photo))),
        Err(e) => {
            // Refused after the files were written (the gallery filled meanwhile): they go again
            // unless another photo has the same bytes.
            if let Ok(unused) = state.store.unused_media(vec![files.photo_key, files.thumb_key]).await {
                forget(&state, unused).await;
            }
            Err(e)
        }
    }
}

async fn order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<PhotoOrder>,
) -> AppResult<Json<Items<Photo>>> {
    let items = state.store.order_photos(user.id(), id, &body.photo_ids, state.clock.now()).await?;
    Ok(Json(Items { items }))
}

async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, photo)): Path<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    let unused = state.store.delete_photo(user.id(), id, photo, state.clock.now()).await?;
    forget(&state, unused).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes files no photo uses. One that cannot be removed only takes room: logged, not failed.
pub(super) async fn forget(state: &AppState, keys: Vec<String>) {
    for key in keys {
        if let Err(e) = state.media.delete(&key).await {
            tracing::warn!(%key, error = %e, "could not remove an unused photo file");
        }
    }
}

async fn media(State(state): State<AppState>, axum::extract::Path(key): axum::extract::Path<String>) -> Response {
    match state.media.get(&key).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                // The name is the content's hash: it never changes meaning.
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => AppError::not_found("file").into_response(),
        Err(e) => AppError::Internal(anyhow::Error::from(e)).into_response(),
    }
}
