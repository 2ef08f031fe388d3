//! W3C Trace Context: one trace id from the gateway through every service
//! call, carried in the `traceparent` header and written into the logs.
//!
//! [`propagate`] (a middleware every [`ServiceHost`](crate::server::ServiceHost)
//! installs) reads an incoming `traceparent` or starts a trace, gives the
//! request its own span id, runs the handler inside a `request` tracing span
//! carrying `trace_id` and `span_id` (so every log line of the request has
//! them), keeps the context in a task-local for [`ServiceClient`](crate::client::ServiceClient)
//! to send on, and logs one line per request. Work spawned for a request
//! keeps the context when spawned with [`spawn`].
//!
//! Only the trace context is implemented, not span export: the ids follow the
//! W3C format, so an OpenTelemetry collector or a log search can join the
//! parts of one request by `trace_id`.

use std::{fmt::Write as _, future::Future, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use rand::RngCore;
use tracing::Instrument;

/// The request header carrying the trace context.
pub const TRACEPARENT: &str = "traceparent";

/// One hop of a trace: the trace's id, this hop's span id, and whether the
/// trace is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub sampled: bool,
}

tokio::task_local! {
    static CURRENT: TraceContext;
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 || !s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

impl TraceContext {
    /// Parses a `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`). A
    /// later version is read by its first four fields, as the specification
    /// asks; version `ff`, upper-case hex and all-zero ids are refused.
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let mut parts = header.split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let span = parts.next()?;
        let flags = parts.next()?;
        let rest = parts.next();
        let version: [u8; 1] = unhex(version)?;
        if version[0] == 0xff || (version[0] == 0 && rest.is_some()) {
            return None;
        }
        let trace_id: [u8; 16] = unhex(trace)?;
        let span_id: [u8; 8] = unhex(span)?;
        let flags: [u8; 1] = unhex(flags)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            span_id,
            sampled: flags[0] & 1 == 1,
        })
    }

    /// A new trace (sampled).
    pub fn new_root() -> Self {
        let mut rng = rand::thread_rng();
        let mut trace_id = [0u8; 16];
        while trace_id == [0; 16] {
            rng.fill_bytes(&mut trace_id);
        }
        Self {
            trace_id,
            span_id: new_span_id(),
            sampled: true,
        }
    }

    /// The next hop of the same trace.
    pub fn child(&self) -> Self {
        Self {
            span_id: new_span_id(),
            ..*self
        }
    }

    /// The header value naming this hop as the parent.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            hex(&self.span_id),
            u8::from(self.sampled)
        )
    }

    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }
}

fn new_span_id() -> [u8; 8] {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 8];
    while id == [0; 8] {
        rng.fill_bytes(&mut id);
    }
    id
}

/// The trace context of the request this task is serving, if any.
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(|c| *c).ok()
}

/// Runs `f` with `ctx` as the current trace context.
pub async fn scope<F: Future>(ctx: TraceContext, f: F) -> F::Output {
    CURRENT.scope(ctx, f).await
}

/// `tokio::spawn` keeping the current trace context and tracing span, for
/// work done on behalf of a request (the gateway's DataLoaders).
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let span = tracing::Span::current();
    match current() {
        Some(ctx) => tokio::spawn(CURRENT.scope(ctx, fut).instrument(span)),
        None => tokio::spawn(fut.instrument(span)),
    }
}

/// Middleware: continues or starts the trace, runs the request in its span
/// and logs it (method, route, status, milliseconds) with the trace id. The
/// answer carries `traceresponse`, so a client can quote the trace it was in.
pub async fn propagate(req: Request, next: Next) -> Response {
    let ctx = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse)
        .map(|parent| parent.child())
        .unwrap_or_else(TraceContext::new_root);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let trace_id = ctx.trace_id_hex();
    let span = tracing::info_span!("request", trace_id = %trace_id, span_id = %ctx.span_id_hex());
    let start = Instant::now();
    let mut res = CURRENT.scope(ctx, next.run(req)).instrument(span).await;
    let status = res.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(trace_id = %trace_id, %method, %route, status, ms, "request");
    } else {
        tracing::info!(trace_id = %trace_id, %method, %route, status, ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.traceparent()) {
        res.headers_mut().insert("traceresponse", v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_round_trips() {
        let h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let c = TraceContext::parse(h).unwrap();
        assert_eq!(c.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(c.sampled);
        assert_eq!(c.traceparent(), h);
        let child = c.child();
        assert_eq!(child.trace_id, c.trace_id);
        assert_ne!(child.span_id, c.span_id);
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for h in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(h), None, "{h}");
        }
    }

    #[test]
    fn a_later_version_is_read_by_its_first_fields() {
        let c = TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more").unwrap();
        assert!(!c.sampled);
    }

    #[tokio::test]
    async fn the_context_follows_spawned_work() {
        let ctx = TraceContext::new_root();
        let seen = scope(ctx, async { spawn(async { current() }).await.unwrap() }).await;
        assert_eq!(seen, Some(ctx));
        assert_eq!(current(), None);
    }
}
