//! W3C Trace Context: one trace from the web front end and the gateway
//! through every call between parts, carried in the `traceparent` header and
//! written into the logs; and, when spans are exported
//! ([`crate::telemetry`]), the OpenTelemetry spans of each hop.
//!
//! [`propagate`] (a middleware of every [`ServiceHost`](crate::server::ServiceHost)
//! and of the web front end) reads an incoming `traceparent` or starts a
//! trace, runs the handler inside a `request` span carrying `trace_id` and
//! `span_id` (so every log line of the request has them), keeps the context
//! in a task-local, logs one line per request and answers with
//! `traceresponse`. A call to another part ([`outgoing`], used by
//! [`ServiceClient`](crate::client::ServiceClient) and the web front end's
//! gateway client) sends the context on. Work spawned for a request keeps it
//! when spawned with [`spawn`].
//!
//! **Without export** the ids are made here: the request's hop gets a span
//! id of its own and calls name it as their parent. Nothing of
//! OpenTelemetry runs.
//!
//! **With export** the ids are OpenTelemetry's: the `request` span is a
//! server span whose parent is the caller's (the incoming `traceparent`,
//! with its `tracestate`), each call is a client span under it whose id the
//! callee receives as its parent, and database statements are spans under
//! whichever span ran them ([`crate::telemetry::db`]). The sampler decides
//! from the parent's flag (`parentbased_*`) or for a new trace. A call made
//! outside any request (a background job's polling) starts no trace: it
//! carries a new trace id marked not sampled, so neither side exports it.
//!
//! The header is parsed here rather than by OpenTelemetry's propagator,
//! which accepts ids of the wrong length: a `traceparent` that is not
//! exactly the specification's is ignored and a new trace started.

use std::{
    fmt::Write as _,
    future::Future,
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use rand::RngCore;
use tracing::{field::Empty, Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Called by [`crate::telemetry::init`] once span export is installed.
pub(crate) fn set_exporting() {
    EXPORTING.store(true, Ordering::Relaxed);
}

/// Whether this process exports spans.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The request header carrying the trace context.
pub const TRACEPARENT: &str = "traceparent";
/// The request header carrying vendors' trace state (passed on when exporting).
pub const TRACESTATE: &str = "tracestate";

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

    /// The context of an OpenTelemetry span, when it has one.
    pub fn of_otel(cx: &SpanContext) -> Option<Self> {
        cx.is_valid().then(|| Self {
            trace_id: cx.trace_id().to_bytes(),
            span_id: cx.span_id().to_bytes(),
            sampled: cx.is_sampled(),
        })
    }

    /// This hop as a remote parent for OpenTelemetry, with the caller's
    /// `tracestate` (ignored when malformed).
    fn to_otel(self, tracestate: Option<&str>) -> SpanContext {
        let state = tracestate
            .and_then(|s| s.parse::<TraceState>().ok())
            .unwrap_or_default();
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        SpanContext::new(
            TraceId::from_bytes(self.trace_id),
            SpanId::from_bytes(self.span_id),
            flags,
            true,
            state,
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

/// The span id and sampling of `span` as OpenTelemetry made them (the span
/// is started by asking).
fn context_of(span: &Span) -> Option<TraceContext> {
    TraceContext::of_otel(span.context().span().span_context())
}

/// Middleware: continues or starts the trace, runs the request in its span
/// and logs it (method, route, status, milliseconds) with the trace id. The
/// answer carries `traceresponse`, so a client can quote the trace it was in.
pub async fn propagate(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let parent = headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let exported = exporting();
    let (span, ctx) = if exported {
        // OpenTelemetry's server span: its ids are known once it has its parent.
        let span = tracing::info_span!(
            "request",
            trace_id = Empty,
            span_id = Empty,
            otel.name = %format_args!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = %method,
            http.route = %route,
            http.response.status_code = Empty,
        );
        if let Some(p) = parent {
            let state = headers.get(TRACESTATE).and_then(|v| v.to_str().ok());
            let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(p.to_otel(state)));
        }
        let ctx = context_of(&span).unwrap_or_else(|| parent.map(|p| p.child()).unwrap_or_else(TraceContext::new_root));
        span.record("trace_id", ctx.trace_id_hex());
        span.record("span_id", ctx.span_id_hex());
        (span, ctx)
    } else {
        let ctx = parent.map(|p| p.child()).unwrap_or_else(TraceContext::new_root);
        let span = tracing::info_span!("request", trace_id = %ctx.trace_id_hex(), span_id = %ctx.span_id_hex());
        (span, ctx)
    };
    let trace_id = ctx.trace_id_hex();
    let start = Instant::now();
    let mut res = CURRENT.scope(ctx, next.run(req)).instrument(span.clone()).await;
    let status = res.status().as_u16();
    if exported {
        span.record("http.response.status_code", status);
        if status >= 500 {
            span.record("otel.status_code", "ERROR");
        }
    }
    drop(span);
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

/// A call to another part, about to be made: the span it runs in and the
/// trace context headers to send with it.
pub struct Outgoing {
    /// The call's client span when spans are exported (instrument the call
    /// with it); otherwise none.
    pub span: Span,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

/// Starts a call to `peer` (`bookings`, `gateway`): `method` and `path` (its
/// query string is left out of the span) name it.
pub fn outgoing(peer: &'static str, method: &str, path: &str) -> Outgoing {
    if !exporting() {
        return Outgoing {
            span: Span::none(),
            traceparent: current().map(|c| c.traceparent()),
            tracestate: None,
        };
    }
    if !opentelemetry::Context::current().has_active_span() {
        // Outside any request: not traced (see the module's documentation).
        let mut ctx = TraceContext::new_root();
        ctx.sampled = false;
        return Outgoing {
            span: Span::none(),
            traceparent: Some(ctx.traceparent()),
            tracestate: None,
        };
    }
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let span = tracing::info_span!(
        "call",
        otel.name = %format_args!("{method} {peer}"),
        otel.kind = "client",
        otel.status_code = Empty,
        peer.service = peer,
        http.request.method = method,
        url.path = path,
        http.response.status_code = Empty,
    );
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    let tracestate = Some(sc.trace_state().header()).filter(|s| !s.is_empty());
    Outgoing {
        traceparent: TraceContext::of_otel(&sc).map(|c| c.traceparent()),
        tracestate,
        span,
    }
}

impl Outgoing {
    /// The headers to send: `traceparent`, and `tracestate` when there is one.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            self.traceparent.as_deref().map(|v| (TRACEPARENT, v)),
            self.tracestate.as_deref().map(|v| (TRACESTATE, v)),
        ]
        .into_iter()
        .flatten()
    }

    /// Records how the call ended: the answer's status, or `None` when none
    /// came (a 5xx or no answer marks the span as an error).
    pub fn finish(&self, status: Option<u16>) {
        if self.span.is_none() {
            return;
        }
        if let Some(s) = status {
            self.span.record("http.response.status_code", s);
        }
        if status.is_none_or(|s| s >= 500) {
            self.span.record("otel.status_code", "ERROR");
        }
    }
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
