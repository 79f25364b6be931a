//! The accept loops: hyper HTTP/1.1 so that a "dropped connection" fault can close the socket
//! without writing any response. Two listeners: the API host and the attachment content host
//! (a different port stands for Zendesk's `*.zdusercontent.com`, so clients that follow the
//! redirect must not carry credentials there).

use std::net::SocketAddr;

use axum::Router;
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

/// A running simulator; dropping it (or [`SimHandle::shutdown`]) stops it.
#[derive(Debug)]
pub struct SimHandle {
    /// `http://127.0.0.1:PORT` of the API host.
    pub base_url: String,
    /// `http://127.0.0.1:PORT2` of the attachment content host.
    pub content_url: String,
    /// Bound address of the API host.
    pub addr: SocketAddr,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// `{base_url}/d/{subdomain}`: the account's canonical site (links point there).
    pub fn site(&self, subdomain: &str) -> String {
        format!("{}/d/{subdomain}", self.base_url)
    }

    /// Stops the servers and waits for them.
    pub async fn shutdown(mut self) {
        for s in self.stops.drain(..) {
            let _ = s.send(());
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        for s in self.stops.drain(..) {
            let _ = s.send(());
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

fn serve(listener: TcpListener, router: Router) -> (oneshot::Sender<()>, JoinHandle<()>) {
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
                                let resp = match router.oneshot(req.map(Body::new)).await {
                                    Ok(r) => r,
                                    Err(e) => match e {},
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
    (stop, task)
}

/// Binds the API and content listeners and serves.
pub async fn spawn(sim: Simulator, addr: SocketAddr) -> std::io::Result<SimHandle> {
    let api = TcpListener::bind(addr).await?;
    let api_addr = api.local_addr()?;
    let content = TcpListener::bind(SocketAddr::new(api_addr.ip(), 0)).await?;
    let content_addr = content.local_addr()?;
    let base_url = format!("http://{api_addr}");
    let content_url = format!("http://{content_addr}");
    *write(&sim.inner.base_url) = Some(base_url.clone());
    *write(&sim.inner.content_url) = Some(content_url.clone());
    let (s1, t1) = serve(api, sim.router());
    let (s2, t2) = serve(content, crate::content::router(sim.clone()));
    Ok(SimHandle {
        base_url,
        content_url,
        addr: api_addr,
        stops: vec![s1, s2],
        tasks: vec![t1, t2],
    })
}

/// The simulator's public serving surface. It is defined here, beside the server, rather
/// than in `sim` so that the simulator's state imports nothing of the HTTP layer above it.
impl Simulator {
    /// The whole HTTP surface of the API host (API, `/d/{subdomain}`, `/_sim` control).
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.clone())
    }

    /// Binds `addr` (port 0 allowed) for the API and a second port on the same IP for the
    /// attachment content host, and serves both in background tasks.
    pub async fn spawn(&self, addr: SocketAddr) -> std::io::Result<SimHandle> {
        spawn(self.clone(), addr).await
    }
}
