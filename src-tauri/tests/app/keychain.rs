//! The refresh token in a real OS keychain: GNOME Keyring's Secret Service on a throwaway
//! D-Bus, with its keyrings in a temporary home (never the developer's own), and, with no
//! Secret Service at all (a headless box), the fallback to the app's file.
//!
//! keyring chooses its store once per process from the environment, and these tests may not
//! change their own environment, so each case runs this test binary again as a child with the
//! bus it needs; the case itself is an ignored test that only acts in that child.
#![cfg(target_os = "linux")]

use crate::common::file_holds;
use parkway_app_lib::client::Tokens;
use parkway_app_lib::keychain::Keychain;
use parkway_app_lib::local::LocalStore;
use parkway_app_lib::saved_session::{Place, SavedSession};
use std::process::Command;

/// Names the case a child runs; unset, the cases do nothing.
const CASE: &str = "PARKWAY_KEYCHAIN_TEST_CASE";
/// Not the app's service, so that even a real keychain never mixes test entries with the app's.
const SERVICE: &str = "Parkway tests";

/// Runs the ignored test `case` in a child: inside `dbus-run-session` with GNOME Keyring
/// started and unlocked, or with a session bus address where nothing listens.
fn run_case(case: &str, secret_service: bool) {
    let home = tempfile::tempdir().expect("dir");
    let runtime = home.path().join("run");
    std::fs::create_dir(&runtime).expect("runtime dir");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = if secret_service {
        let mut c = Command::new("dbus-run-session");
        c.args([
            "--",
            "sh",
            "-c",
            "printf %s parkway-tests | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"",
            "sh",
        ]);
        c.arg(&exe);
        c
    } else {
        let mut c = Command::new(&exe);
        c.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", runtime.join("no-bus").display()));
        c
    };
    child
        .args(["--exact", &format!("keychain::{case}"), "--include-ignored", "--nocapture", "--test-threads=1"])
        .env(CASE, case)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", &runtime);
    let out = child.output().expect("dbus-run-session and gnome-keyring-daemon (scripts/setup.sh installs them)");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && stdout.contains(&format!("case {case} done")),
        "the case {case} failed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn a_real_secret_service_takes_the_refresh_token_from_the_file_and_gives_it_up_at_sign_out() {
    run_case("in_a_secret_service", true);
}

#[test]
fn with_no_secret_service_the_file_keeps_the_refresh_token() {
    run_case("with_no_secret_service", false);
}

fn acting(case: &str) -> bool {
    std::env::var(CASE).as_deref() == Ok(case)
}

fn tokens(access: &str, refresh: &str) -> Tokens {
    Tokens { access: Some(access.to_owned()), refresh: Some(refresh.to_owned()) }
}

#[tokio::test]
#[ignore = "a case of a_real_secret_service_…, run by it in a child with its own D-Bus"]
async fn in_a_secret_service() {
    if !acting("in_a_secret_service") {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("app.db");

    // An installation from before the keychain: both tokens in the file.
    let file = LocalStore::open(&path).await.expect("open");
    file.set_setting("session_token", Some("access-1")).await.expect("write");
    file.set_setting("session_refresh", Some("refresh-from-the-file")).await.expect("write");
    let saved = SavedSession::open(file.clone(), Some(SERVICE)).await.expect("open");
    assert_eq!(saved.place(), Place::Keychain);
    assert_eq!(saved.load().await.expect("load"), tokens("access-1", "refresh-from-the-file"));
    let account = file.setting("keychain_account").await.expect("read").expect("an account was made");
    let keychain = Keychain::open(SERVICE, &account).await.expect("keychain");
    assert_eq!(keychain.get().await.expect("get").as_deref(), Some("refresh-from-the-file"), "moved to the keychain");
    assert_eq!(file.setting("session_refresh").await.expect("read"), None, "and out of the file");
    assert!(!file_holds(&path, "refresh-from-the-file"), "no copy left in the file's bytes");

    // A renewal goes to the keychain only, and a restart reads it back from there.
    saved.save(&tokens("access-2", "refresh-2")).await.expect("save");
    assert_eq!(keychain.get().await.expect("get").as_deref(), Some("refresh-2"));
    assert_eq!(file.setting("session_refresh").await.expect("read"), None);
    assert_eq!(file.setting("session_token").await.expect("read").as_deref(), Some("access-2"));
    drop((saved, file));
    let file = LocalStore::open(&path).await.expect("reopen");
    let saved = SavedSession::open(file.clone(), Some(SERVICE)).await.expect("open");
    assert_eq!(saved.load().await.expect("load"), tokens("access-2", "refresh-2"), "survives a restart");

    // A token in the file beside one in the keychain was left by a write the keychain refused:
    // it is the newer one, and wins.
    file.set_setting("session_refresh", Some("refresh-3")).await.expect("write");
    assert_eq!(saved.load().await.expect("load").refresh.as_deref(), Some("refresh-3"));
    assert_eq!(keychain.get().await.expect("get").as_deref(), Some("refresh-3"));
    assert_eq!(file.setting("session_refresh").await.expect("read"), None);

    // Another installation (another data folder) keeps its own entry.
    let other = LocalStore::open(&dir.path().join("other.db")).await.expect("open");
    let other = SavedSession::open(other, Some(SERVICE)).await.expect("open");
    assert_eq!(other.load().await.expect("load"), Tokens::default());
    other.save(&tokens("access-o", "refresh-o")).await.expect("save");
    assert_eq!(keychain.get().await.expect("get").as_deref(), Some("refresh-3"), "untouched by the other");

    // Signing out removes it from both.
    saved.save(&Tokens::default()).await.expect("sign out");
    assert_eq!(keychain.get().await.expect("get"), None);
    assert_eq!(saved.load().await.expect("load"), Tokens::default());
    for token in ["refresh-from-the-file", "refresh-2", "refresh-3"] {
        assert!(!file_holds(&path, token), "{token} was left in the file");
    }
    assert_eq!(other.load().await.expect("load").refresh.as_deref(), Some("refresh-o"));
    println!("case in_a_secret_service done");
}

#[tokio::test]
#[ignore = "a case of with_no_secret_service_…, run by it in a child with no Secret Service"]
async fn with_no_secret_service() {
    if !acting("with_no_secret_service") {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("app.db");
    let file = LocalStore::open(&path).await.expect("open");
    let saved = SavedSession::open(file.clone(), Some(SERVICE)).await.expect("opens all the same");
    assert_eq!(saved.place(), Place::File);

    saved.save(&tokens("access-1", "refresh-1")).await.expect("save");
    assert_eq!(file.setting("session_refresh").await.expect("read").as_deref(), Some("refresh-1"));
    drop((saved, file));
    let file = LocalStore::open(&path).await.expect("reopen");
    let saved = SavedSession::open(file.clone(), Some(SERVICE)).await.expect("open");
    assert_eq!(saved.load().await.expect("load"), tokens("access-1", "refresh-1"), "survives a restart");

    saved.save(&Tokens::default()).await.expect("sign out");
    assert_eq!(saved.load().await.expect("load"), Tokens::default());
    assert!(!file_holds(&path, "refresh-1"), "erased from the file's bytes");
    println!("case with_no_secret_service done");
}
