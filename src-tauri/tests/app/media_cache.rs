//! Photos kept on the device, against the real server: opening a driveway's page keeps its
//! thumbnails, which are then answered without a network; what was never kept is not; names
//! that are not photos are never looked up; the folder stays within its budget.

use crate::common::Backend;
use parkway_app_lib::media_cache::{DEFAULT_BUDGET_BYTES, MediaCache};
use parkway_core::photo::media_key_of;

/// An 800×600 PNG: large enough that its thumbnail is another file than its full size.
const PHOTO: &[u8] = include_bytes!("../fixtures/driveway.png");

#[tokio::test]
async fn a_driveways_thumbnails_are_kept_and_shown_without_a_network() {
    let backend = Backend::start().await;
    let owner = backend.api.register("owner@example.com", "owner").await;
    let driveway = backend.api.create_driveway(&owner, "Sunny driveway", 37.77).await;
    let client = backend.app_client(&owner);
    client.upload_photo(driveway.parse().expect("uuid"), PHOTO.to_vec()).await.expect("uploaded");
    let page = backend.api.get(&format!("/api/driveways/{driveway}"), &owner).await;
    let (thumb_url, full_url) = (
        page["photos"][0]["thumbUrl"].as_str().expect("thumbnail"),
        page["photos"][0]["url"].as_str().expect("full size"),
    );
    let (thumb, full) = (media_key_of(thumb_url).expect("key"), media_key_of(full_url).expect("key"));
    assert_ne!(thumb, full);
    let served =
        reqwest::get(format!("{}{thumb_url}", backend.api.base)).await.expect("get").bytes().await.expect("body");

    let cache = MediaCache::new(backend.dir.path().join("photos"), client.clone(), DEFAULT_BUDGET_BYTES);
    cache.keep_thumbnails(&page).await;
    assert!(cache.has(thumb), "opening the page keeps its thumbnail");
    assert!(!cache.has(full), "the full size is kept only once it is looked at");

    // The network goes (nothing listens there): the thumbnail is still there, byte for byte.
    client.set_base("http://127.0.0.1:9");
    assert_eq!(cache.get(thumb).await.expect("kept").as_slice(), served.as_ref());
    assert!(cache.get(full).await.is_err(), "what was never kept cannot be shown offline");
    for name in ["../app.db", "photos/../../server.db", "", &thumb.to_uppercase()] {
        assert!(cache.get(name).await.is_err(), "{name:?} is not a photo's name");
    }

    // A budget of one full-size photo: keeping it lets the older thumbnail go.
    client.set_base(&backend.api.base);
    let full_len =
        reqwest::get(format!("{}{full_url}", backend.api.base)).await.expect("get").bytes().await.expect("body").len();
    let small = MediaCache::new(backend.dir.path().join("small"), client.clone(), full_len as u64);
    small.get(thumb).await.expect("thumbnail");
    assert!(small.has(thumb));
    small.get(full).await.expect("full size");
    assert!(small.has(full) && !small.has(thumb), "the oldest copy goes first");
    let _ = backend.server.shutdown().await;
}
