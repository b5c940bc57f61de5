//! Accepting connections. axum's own `serve` gives hyper no timer, so a client that sends its
//! headers one byte a minute would hold its connection (and its memory) forever; this loop is
//! the same, with the header read timeout switched on.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long open requests may take to finish once the server is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// Serves `app` on `listener` until `stop` turns true, then lets open requests finish (for at
/// most [`SHUTDOWN_GRACE`]).
/// `header_timeout` bounds how long a client may take to send a request's headers.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    // The WebSocket over HTTP/2 needs the CONNECT protocol.
    builder.http2().timer(TokioTimer::new()).enable_connect_protocol();
    let graceful = GracefulShutdown::new();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors or a connection reset before it was accepted: wait a
                // moment rather than spin, as axum's loop does.
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |req: Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // A client that keeps a request open (a slow upload, a stalled reader) must not keep the
    // process from stopping: a supervisor that sent SIGTERM waits some 30 s before SIGKILL, and
    // a clean exit within it closes the database properly.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still open at shutdown were dropped");
    }
    Ok(())
}
