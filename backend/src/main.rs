//! `parkway-server`: reads the environment, starts the server, stops cleanly on SIGTERM.

use parkway_backend::{Config, Server};

// Password hashing allocates a 19 MiB working area per hash. glibc's allocator keeps such freed
// areas around (its mmap threshold adapts upwards), so the server's memory grew with every
// sign-in; mimalloc returns them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    // mimalloc asks for transparent huge pages, so each thread that allocates (the blocking
    // threads serving files, for one) held a 2 MiB page or more where it used a few KiB: 32
    // clients reading the street map took the server from 90 MB to 350 MB. Without them it
    // stays near 110 MB. The flag is the process's, whichever thread sets it.
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!("could not turn transparent huge pages off ({e}): memory use may be higher");
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("parkway-server: configuration problem: {e}");
            std::process::exit(2);
        }
    };
    let server = Server::start(config).await?;
    println!("listening on http://{}", server.addr());
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
