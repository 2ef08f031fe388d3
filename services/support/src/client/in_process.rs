//! The in-process transport: a call to a part that this same process serves
//! goes straight to that part's router, with no socket and no HTTP framing.
//!
//! Every part's host ([`crate::server::Application`]) enters its router here
//! under the address it is bound to while it serves, and leaves when it stops
//! (or its task is dropped). A [`ServiceClient`](super::ServiceClient) about to
//! call a replica looks its address up: when that part is served here, and
//! the transport is [`Transport::InProcess`] (the default), the request is
//! handed to the router as an `http::Request`; otherwise it goes over HTTP as
//! before. So `roundabout serve all` (what `up --one-process` runs), the
//! tests and the benchmarks use it, and Kubernetes (one part per pod) never
//! can. The web front end's calls to the gateway use it too ([`send`]).
//!
//! Nothing of the boundary changes: the request carries the same signed
//! caller token, `traceparent`, `Idempotency-Key` and JSON body, and passes
//! through the callee's whole stack of layers — panic catching, tracing, the
//! request log, metrics, admission, the body limit and the caller check — so
//! each part still checks who calls it, answers in its own envelope and owns
//! its own database. The handler runs on a task of its own, as a server's
//! connection task would run it, so a caller that gives up does not cancel
//! the callee half way; the call keeps [`super::call_timeout`].
//!
//! `INTERNAL_TRANSPORT=http` sends every call over HTTP even when the callee
//! is in the same process.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        atomic::{AtomicU8, Ordering},
        LazyLock, PoisonError, RwLock,
    },
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{header::CONTENT_TYPE, Method, Request, Response},
    Router,
};
use tower::ServiceExt;

use crate::config::ConfigError;

/// How calls between parts travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Straight to the callee's router when this process serves it, over
    /// HTTP otherwise (`INTERNAL_TRANSPORT=in-process`, the default).
    InProcess,
    /// Always over HTTP (`INTERNAL_TRANSPORT=http`).
    Http,
}

const VAR: &str = "INTERNAL_TRANSPORT";
const UNSET: u8 = 0;
const IN_PROCESS: u8 = 1;
const HTTP: u8 = 2;

/// The transport chosen for this process; read from the environment once.
static CHOSEN: AtomicU8 = AtomicU8::new(UNSET);

impl Transport {
    /// `INTERNAL_TRANSPORT`: `in-process` (default) or `http`.
    pub fn from_env() -> Result<Self, ConfigError> {
        match crate::config::optional(VAR)?.as_deref() {
            None | Some("in-process") => Ok(Self::InProcess),
            Some("http") => Ok(Self::Http),
            Some(other) => Err(ConfigError::new(
                VAR,
                format!("expected in-process or http, got {other:?}"),
            )),
        }
    }

    /// The transport of this process's calls: set by [`Transport::set`], or
    /// else read from `INTERNAL_TRANSPORT` (an unreadable value was refused at
    /// start by [`crate::config::HostConfig::from_env`]).
    pub fn current() -> Self {
        match CHOSEN.load(Ordering::Relaxed) {
            IN_PROCESS => Self::InProcess,
            HTTP => Self::Http,
            _ => {
                let t = Self::from_env().unwrap_or(Self::InProcess);
                t.set();
                t
            }
        }
    }

    /// Chooses the transport for every later call of this process (the
    /// benchmarks compare the two in one run).
    pub fn set(self) {
        let v = match self {
            Self::InProcess => IN_PROCESS,
            Self::Http => HTTP,
        };
        CHOSEN.store(v, Ordering::Relaxed);
    }
}

/// The routers this process serves, by `host:port` as a base URL names them.
static SERVED: LazyLock<RwLock<HashMap<String, Router>>> = LazyLock::new(Default::default);

/// The `host:port` keys a part bound to `addr` is reachable at from this
/// process: for a loopback or unspecified address, every loopback name.
fn keys(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]
    } else {
        vec![addr.to_string()]
    }
}

/// The `host:port` of a base URL (`http://127.0.0.1:7003/` → `127.0.0.1:7003`).
fn authority(base: &str) -> Option<&str> {
    let rest = base.strip_prefix("http://")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// A part's router entered under its address; it leaves when this is dropped.
#[derive(Debug)]
pub struct Served {
    keys: Vec<String>,
}

/// Enters `router`, served at `addr`, for calls from this process.
pub fn enter(addr: SocketAddr, router: Router) -> Served {
    let keys = keys(addr);
    let mut served = SERVED.write().unwrap_or_else(PoisonError::into_inner);
    for k in &keys {
        served.insert(k.clone(), router.clone());
    }
    Served { keys }
}

impl Drop for Served {
    fn drop(&mut self) {
        let mut served = SERVED.write().unwrap_or_else(PoisonError::into_inner);
        for k in &self.keys {
            served.remove(k);
        }
    }
}

/// The router serving `base` in this process, when calls to it go in process.
fn router_for(base: &str) -> Option<Router> {
    if Transport::current() != Transport::InProcess {
        return None;
    }
    let key = authority(base)?;
    SERVED.read().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
}

/// The peer address an in-process request appears to come from.
const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// One request to `router`: its answer, body read, or why there is none.
pub(super) async fn call(
    router: Router,
    method: &Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Bytes>,
    timeout: Duration,
) -> Result<Response<Bytes>, String> {
    let mut req = Request::builder().method(method.clone()).uri(path);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if body.is_some() {
        req = req.header(CONTENT_TYPE, "application/json");
    }
    let mut req = req
        .body(body.cloned().map_or_else(Body::empty, Body::from))
        .map_err(|e| format!("unwritable request: {e}"))?;
    req.extensions_mut().insert(ConnectInfo(LOOPBACK));
    let served = tokio::spawn(async move {
        let (parts, body) = router.oneshot(req).await.unwrap_or_else(|e| match e {}).into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| format!("unreadable answer: {e}"))?;
        Ok::<_, String>(Response::from_parts(parts, bytes))
    });
    match tokio::time::timeout(timeout, served).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => Err(format!("the in-process call failed: {e}")),
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

/// A call to the part at `base` when this process serves it and the
/// transport is in process (`None` otherwise: send it over HTTP). `headers`
/// are sent as given; a `body` is sent as JSON. For a client of another
/// part that is not a [`ServiceClient`](super::ServiceClient), such as the
/// web front end's calls to the gateway.
pub async fn send(
    base: &str,
    method: &Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Bytes>,
    timeout: Duration,
) -> Option<Result<Response<Bytes>, String>> {
    let router = router_for(base)?;
    Some(call(router, method, path, headers, body, timeout).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_names_its_authority() {
        assert_eq!(authority("http://127.0.0.1:7003"), Some("127.0.0.1:7003"));
        assert_eq!(authority("http://localhost:7003/"), Some("localhost:7003"));
        assert_eq!(authority("https://bookings:7003"), None, "TLS is never in process");
    }

    #[test]
    fn a_part_bound_to_every_address_is_reachable_by_each_loopback_name() {
        let k = keys("0.0.0.0:7003".parse().unwrap());
        assert!(k.contains(&"127.0.0.1:7003".to_string()) && k.contains(&"localhost:7003".to_string()));
        assert_eq!(
            keys("10.0.0.4:7003".parse().unwrap()),
            vec!["10.0.0.4:7003".to_string()]
        );
    }

    #[test]
    fn the_transport_comes_from_the_environment() {
        // nextest runs each test in a process of its own.
        std::env::remove_var(VAR);
        assert_eq!(Transport::from_env().unwrap(), Transport::InProcess);
        std::env::set_var(VAR, "http");
        assert_eq!(Transport::from_env().unwrap(), Transport::Http);
        std::env::set_var(VAR, "pigeon");
        assert!(Transport::from_env().unwrap_err().to_string().contains(VAR));
        std::env::remove_var(VAR);
    }
}
