//! On desktop, with no server configured, the app runs Parkway's server itself on loopback,
//! with its database in the app's data folder: a single owner needs nothing else installed.
//! It reads the same environment variables as `parkway-server` (so `PARKWAY_DEMO=1` seeds the
//! demo driveways).

use parkway_backend::Server;
use parkway_backend::clock::Clock;
use parkway_backend::config::{Config, Secret};
use std::net::SocketAddr;
use std::path::Path;

/// Starts the embedded server and returns its address at once: the socket is bound first and
/// the database is opened (and demo data seeded) in the background, so the window opens
/// without waiting; the UI's first requests wait in the socket's queue until it serves. The
/// server runs on its own threads for the life of the app. If it cannot start, the app cannot
/// work, and says so.
pub fn start(data_dir: &Path) -> anyhow::Result<SocketAddr> {
    std::fs::create_dir_all(data_dir)?;
    let secret = signing_secret(data_dir)?;
    let url = format!("sqlite://{}?mode=rwc", data_dir.join("parkway-server.db").display());
    let mut config = Config::embedded(url, secret)?;
    // Photos live beside the database, not in whatever folder the app was started from (a
    // launcher may start it in one it cannot write to).
    if std::env::var_os("PARKWAY_MEDIA_DIR").is_none() {
        config.media_dir = data_dir.join("media");
    }
    let listener = std::net::TcpListener::bind(config.bind)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    // Only the app itself, by its loopback address: a web page whose domain was made to
    // resolve to 127.0.0.1 (DNS rebinding) sends another Host and is refused.
    config.allowed_hosts = vec![addr.to_string(), format!("localhost:{}", addr.port())];
    std::thread::Builder::new().name("parkway-server".into()).spawn(move || {
        let started = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("parkway-server")
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let server = Server::start_on(listener, config, Clock::system()).await?;
                    tracing::info!("embedded server listening on http://{}", server.addr());
                    // Serve until the app exits.
                    std::future::pending::<()>().await;
                    drop(server);
                    anyhow::Ok(())
                })
            });
        if let Err(e) = started {
            eprintln!("Parkway could not start its built-in server: {e:#}");
            std::process::exit(1);
        }
    })?;
    Ok(addr)
}

/// A signing secret kept in the data folder, so sessions survive restarts of the app.
fn signing_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("session-secret");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(Secret::new(existing.trim()));
    }
    let fresh = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    std::fs::write(&path, &fresh)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(Secret::new(fresh))
}
