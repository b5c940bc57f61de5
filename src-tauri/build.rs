use std::path::Path;

fn main() {
    // The app embeds the built web UI (`cargo xtask ui` writes it to ui/dist). So that the app
    // still builds before the UI has been built, put a page there that says what to do.
    let dist = Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Parkway</title>\
             <body style=\"font-family:sans-serif;padding:2em\"><h1>Parkway</h1>\
             <p>The web UI has not been built yet. Run <code>cargo xtask ui</code>, then start the app again.</p>",
        );
    }
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    // Every command of the app gets a permission, and the webview may call only those its
    // capability (capabilities/default.json) grants: what the UI uses, nothing else.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "server_url",
        "session_set",
        "api",
        "book",
        "outbox_list",
        "outbox_cancel",
        "outbox_dismiss",
        "sync_now",
        "cached_bookings",
        "current_position",
        "set_manual_position",
        "map_drawn",
        "open_in_browser",
        "upload_photo",
        "send_message",
        "replies_list",
        "reply_dismiss",
        "push_opened_pending",
    ]);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("the app's Tauri build step failed: {e:#}");
    }
}
