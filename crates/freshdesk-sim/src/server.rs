//! The accept loop: hyper HTTP/1.1 so that a "dropped connection" fault can close the socket
//! without writing any response.

use std::net::SocketAddr;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::faults::DropConnection;
use crate::sim::{Simulator, write};

/// Error returned to hyper to abort a connection.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// A running simulator server; dropping it (or [`SimHandle::shutdown`]) stops it.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Bound address.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Binds and serves.
pub async fn spawn(sim: Simulator, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    *write(&sim.inner.base_url) = Some(base_url.clone());
    let router = sim.router();
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let router = router.clone();
                    conns.spawn(async move {
                        let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let router = router.clone();
                            async move {
                                // A request that arrived is carried out even when the client
                                // goes away meanwhile, as at a real helpdesk: a write whose
                                // caller timed out still happens.
                                let handled = tokio::spawn(router.oneshot(req.map(Body::new)));
                                let resp = match handled.await {
                                    Ok(Ok(r)) => r,
                                    Ok(Err(e)) => match e {},
                                    Err(_) => return Err(Dropped),
                                };
                                if resp.extensions().get::<DropConnection>().is_some() {
                                    return Err(Dropped);
                                }
                                Ok::<_, Dropped>(resp)
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.abort_all();
    });
    Ok(SimHandle {
        base_url,
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The simulator's public serving surface. It is defined here, beside the server, rather
/// than in `sim` so that the simulator's state imports nothing of the HTTP layer above it.
impl Simulator {
    /// The whole HTTP surface (API, `/d/{subdomain}/api/v2`, attachments, `/_sim` control).
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.clone())
    }

    /// Binds `addr` (port 0 allowed) and serves in a background task.
    pub async fn spawn(&self, addr: SocketAddr) -> std::io::Result<SimHandle> {
        spawn(self.clone(), addr).await
    }
}
