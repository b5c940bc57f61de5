//! On desktop, with no server configured, the app runs Parkway's server itself on loopback,
//! with its database in the app's data folder: a single owner needs nothing else installed.
//! It reads the same environment variables as `parkway-server` (so `PARKWAY_DEMO=1` seeds the
//! demo driveways).

use parkway_backend::Server;
use parkway_backend::config::{Config, Secret};
use std::path::Path;

/// Starts the embedded server and returns it (it stops when dropped with the app).
pub async fn start(data_dir: &Path) -> anyhow::Result<Server> {
    std::fs::create_dir_all(data_dir)?;
    let secret = signing_secret(data_dir)?;
    let url = format!("sqlite://{}?mode=rwc", data_dir.join("parkway-server.db").display());
    let config = Config::embedded(url, secret)?;
    let server = Server::start(config).await?;
    tracing::info!("embedded server listening on http://{}", server.addr());
    Ok(server)
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
