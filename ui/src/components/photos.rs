//! Driveway photos: the first one's thumbnail on a result card, the gallery on the driveway's
//! page, and the owner's photo manager (upload with progress, Earlier and Later to reorder,
//! delete).

use crate::api::Api;
use parkway_core::api::Driveway;
use parkway_core::photo::{MAX_PHOTOS, Photo};
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The first photo's thumbnail, for a card (decorative: the card's title says what it is).
pub fn card_thumb(api: &Api, d: &Driveway) -> Html {
    match d.photos.first() {
        Some(p) => html! {
            <img class="result-photo" src={api.media_url(&p.thumb_url)} alt="" loading="lazy" width="96" height="72" />
        },
        None => Html::default(),
    }
}

/// The driveway's photos, each opening its full size.
pub fn gallery(api: &Api, d: &Driveway) -> Html {
    if d.photos.is_empty() {
        return Html::default();
    }
    let n = d.photos.len();
    html! {
        <ul class="gallery" aria-label="Photos">
            { for d.photos.iter().enumerate().map(|(i, p)| html! {
                <li key={p.id.to_string()}>
                    <a href={api.media_url(&p.url)} target="_blank" rel="noopener">
                        <img src={api.media_url(&p.thumb_url)} alt={format!("Photo {} of {n} of {}", i + 1, d.title)} loading="lazy" />
                    </a>
                </li>
            }) }
        </ul>
    }
}

/// The order after moving the photo at `from` to `to`.
pub fn moved(ids: &[Uuid], from: usize, to: usize) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    if from < ids.len() && to < ids.len() {
        let id = ids.remove(from);
        ids.insert(to, id);
    }
    ids
}

/// What the owner's photo manager works with: the editor page keeps its state (a function
/// rather than a component of its own: each component costs the wasm its own copy of Yew's
/// machinery).
pub struct PhotoManager {
    /// The API client.
    pub api: Api,
    /// The owner's driveway.
    pub driveway: Uuid,
    /// Its photos, in order.
    pub photos: UseStateHandle<Option<Vec<Photo>>>,
    /// While a file is being sent: the percentage sent.
    pub sending: UseStateHandle<Option<u32>>,
    /// The last refusal, in words.
    pub error: UseStateHandle<Option<String>>,
}

/// The owner's photos of one driveway: each with Earlier, Later and Delete, and a file input
/// that uploads with a progress bar.
pub fn photo_manager(m: &PhotoManager) -> Html {
    let Some(list) = (*m.photos).clone() else { return Html::default() };
    let id = m.driveway;
    let ids: Vec<Uuid> = list.iter().map(|p| p.id).collect();
    // Every change answers with the gallery as it now is (or the refusal).
    let apply = {
        let (photos, error) = (m.photos.clone(), m.error.clone());
        move |result: Result<Vec<Photo>, crate::api::ClientError>| match result {
            Ok(now) => {
                photos.set(Some(now));
                error.set(None);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let n = list.len();
    let items = list.iter().enumerate().map(|(i, p)| {
        let act = |to: Option<usize>| {
            let (api, ids, apply, photo, list) = (m.api.clone(), ids.clone(), apply.clone(), p.id, list.clone());
            Callback::from(move |_: MouseEvent| {
                let (api, ids, apply, list) = (api.clone(), ids.clone(), apply.clone(), list.clone());
                crate::platform::spawn(async move {
                    apply(match to {
                        Some(to) => api.order_photos(id, moved(&ids, i, to)).await,
                        None => api.delete_photo(id, photo).await.map(|()| list.into_iter().filter(|p| p.id != photo).collect()),
                    });
                });
            })
        };
        let label = format!("Photo {} of {n}", i + 1);
        html! {
            <li key={p.id.to_string()} class="photo-item">
                <img src={m.api.media_url(&p.thumb_url)} alt={label.clone()} width="120" height="90" />
                <span class="photo-actions">
                    <button type="button" class="button small ghost" aria-label={format!("Move {label} earlier")} disabled={i == 0} onclick={act(Some(i.saturating_sub(1)))}>{ "Earlier" }</button>
                    <button type="button" class="button small ghost" aria-label={format!("Move {label} later")} disabled={i + 1 == n} onclick={act(Some(i + 1))}>{ "Later" }</button>
                    <button type="button" class="button small danger" aria-label={format!("Delete {label}")} onclick={act(None)}>{ "Delete" }</button>
                </span>
            </li>
        }
    });
    let on_file = {
        let (api, sending, apply, list) = (m.api.clone(), m.sending.clone(), apply.clone(), list.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let (api, sending, apply, mut list) = (api.clone(), sending.clone(), apply.clone(), list.clone());
            sending.set(Some(0));
            crate::platform::spawn(async move {
                let report = {
                    let sending = sending.clone();
                    Rc::new(move |share: f64| sending.set(Some((share * 100.0).round() as u32))) as Rc<dyn Fn(f64)>
                };
                let result = api.upload_photo(id, file, report).await.map(|photo| {
                    list.push(photo);
                    list
                });
                sending.set(None);
                apply(result);
            });
        })
    };
    let full = n >= MAX_PHOTOS;
    html! {
        <section class="card photos-editor" aria-labelledby="photos-title">
            <h2 id="photos-title">{ "Photos" }</h2>
            <p class="hint">{ format!("Up to {MAX_PHOTOS} JPEG, PNG or WebP photos of at most 10 MB; the first shows on search results. Location data in the files is removed.") }</p>
            <ul class="photo-list">{ for items }</ul>
            <label for="photo-files">{ if full { "The gallery is full" } else { "Add a photo" } }</label>
            <input id="photo-files" type="file" accept="image/jpeg,image/png,image/webp" disabled={full || m.sending.is_some()} onchange={on_file} />
            if let Some(sent) = *m.sending {
                <progress max="100" value={sent.to_string()} aria-label="Upload progress" />
            }
            <p class="muted small" role="status">{ if m.sending.is_some() { "Uploading…".to_owned() } else { format!("{n} of {MAX_PHOTOS} photos.") } }</p>
            if let Some(e) = &*m.error {
                <p class="field-error" role="alert">{ e.clone() }</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::moved;
    use uuid::Uuid;

    #[test]
    fn moving_a_photo_shifts_the_others() {
        let [a, b, c] = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        assert_eq!(moved(&[a, b, c], 0, 2), vec![b, c, a]);
        assert_eq!(moved(&[a, b, c], 2, 0), vec![c, a, b]);
        assert_eq!(moved(&[a, b, c], 1, 1), vec![a, b, c]);
        assert_eq!(moved(&[a, b, c], 5, 0), vec![a, b, c]);
    }
}
