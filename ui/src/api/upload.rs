//! Uploading a driveway photo. In a browser the file goes as a multipart form over
//! `XMLHttpRequest`, the one browser API that reports an upload's progress; inside the app its
//! bytes go to the app's `upload_photo` command as the call's raw payload, and the app sends
//! the form (the page could not reach the server across origins).

use super::{Api, ClientError, Transport};
use parkway_core::photo::Photo;
use std::rc::Rc;
use uuid::Uuid;

impl Api {
    /// Uploads `file` as a photo of `driveway`, calling `progress` with the share sent (0 to 1).
    pub async fn upload_photo(
        &self,
        driveway: Uuid,
        file: web_sys::File,
        progress: Rc<dyn Fn(f64)>,
    ) -> Result<Photo, ClientError> {
        let text = match &self.transport {
            Transport::Tauri => in_app(driveway, &file).await?,
            Transport::Http { base } => {
                let url = format!("{base}/api/driveways/{driveway}/photos");
                let (mut status, mut body) = send(&url, self.token.as_deref(), &file, &progress).await?;
                // An expired access token is renewed once, as for every other request.
                if status == 401
                    && self.token.is_some()
                    && let Some(token) = super::session::refresh(&self.transport).await
                {
                    (status, body) = send(&url, Some(&token), &file, &progress).await?;
                }
                if !(200..300).contains(&status) {
                    return Err(ClientError::from_answer(status, &body));
                }
                body
            }
        };
        progress(1.0);
        super::decode(&text)
    }
}

#[cfg(target_arch = "wasm32")]
async fn in_app(driveway: Uuid, file: &web_sys::File) -> Result<String, ClientError> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.map_err(|_| ClientError::Network)?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    crate::platform::tauri_invoke_bytes("upload_photo", &bytes, ("x-parkway-driveway", &driveway.to_string()))
        .await
        .map_err(super::outbox::refusal)
}

#[cfg(target_arch = "wasm32")]
async fn send(
    url: &str,
    token: Option<&str>,
    file: &web_sys::File,
    progress: &Rc<dyn Fn(f64)>,
) -> Result<(u16, String), ClientError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let fail = |_| ClientError::Network;
    let xhr = web_sys::XmlHttpRequest::new().map_err(fail)?;
    xhr.open("POST", url).map_err(fail)?;
    if let Some(token) = token {
        xhr.set_request_header("Authorization", &format!("Bearer {token}")).map_err(fail)?;
    }
    let form = web_sys::FormData::new().map_err(fail)?;
    form.append_with_blob("photo", file).map_err(fail)?;
    let report = progress.clone();
    let on_progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            report(e.loaded() / e.total());
        }
    });
    xhr.upload().map_err(fail)?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let done = js_sys::Promise::new(&mut |resolve, _| xhr.set_onloadend(Some(&resolve)));
    xhr.send_with_opt_form_data(Some(&form)).map_err(fail)?;
    let _ = wasm_bindgen_futures::JsFuture::from(done).await;
    drop(on_progress);
    let status = xhr.status().map_err(fail)?;
    if status == 0 {
        return Err(ClientError::Network);
    }
    Ok((status, xhr.response_text().ok().flatten().unwrap_or_default()))
}

#[cfg(not(target_arch = "wasm32"))]
async fn in_app(_: Uuid, _: &web_sys::File) -> Result<String, ClientError> {
    Err(ClientError::Network)
}

#[cfg(not(target_arch = "wasm32"))]
async fn send(_: &str, _: Option<&str>, _: &web_sys::File, _: &Rc<dyn Fn(f64)>) -> Result<(u16, String), ClientError> {
    Err(ClientError::Network)
}
