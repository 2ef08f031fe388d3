//! A small OpenTelemetry collector for tests: it takes OTLP/HTTP exports
//! (`POST /v1/traces`, protobuf, as the parts send them), decodes them with
//! the protocol's own message types and keeps every span with the
//! `service.name` of the process that sent it.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{any_value, KeyValue},
};
use prost::Message;

/// One span as received.
#[derive(Debug, Clone)]
pub struct Span {
    /// The `service.name` of its resource.
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    /// The parent's span id; `None` for a trace's root.
    pub parent: Option<String>,
    pub name: String,
    /// `server`, `client`, `internal`, …
    pub kind: &'static str,
    /// Attributes, their values written as text.
    pub attributes: BTreeMap<String, String>,
    /// Whether the span's status is an error.
    pub error: bool,
}

impl Span {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// The receiver, listening on a free port of 127.0.0.1 until dropped.
pub struct Collector {
    /// What `OTEL_EXPORTER_OTLP_ENDPOINT` is set to.
    pub url: String,
    spans: Arc<Mutex<Vec<Span>>>,
    /// Export requests received, and those that could not be decoded.
    requests: Arc<Mutex<(usize, usize)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Shared {
    spans: Arc<Mutex<Vec<Span>>>,
    requests: Arc<Mutex<(usize, usize)>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(kv: &KeyValue) -> String {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn kind(k: i32) -> &'static str {
    match k {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

async fn export(State(s): State<Shared>, body: Bytes) -> (StatusCode, Vec<u8>) {
    let Ok(req) = ExportTraceServiceRequest::decode(body) else {
        let mut r = s.requests.lock().unwrap();
        r.0 += 1;
        r.1 += 1;
        return (StatusCode::BAD_REQUEST, Vec::new());
    };
    let mut received = Vec::new();
    for rs in req.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .map(text)
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for sp in ss.spans {
                received.push(Span {
                    service: service.clone(),
                    trace_id: hex(&sp.trace_id),
                    span_id: hex(&sp.span_id),
                    parent: (!sp.parent_span_id.is_empty()).then(|| hex(&sp.parent_span_id)),
                    name: sp.name,
                    kind: kind(sp.kind),
                    attributes: sp.attributes.iter().map(|kv| (kv.key.clone(), text(kv))).collect(),
                    // STATUS_CODE_ERROR
                    error: sp.status.is_some_and(|st| st.code == 2),
                });
            }
        }
    }
    s.requests.lock().unwrap().0 += 1;
    s.spans.lock().unwrap().extend(received);
    (StatusCode::OK, ExportTraceServiceResponse::default().encode_to_vec())
}

impl Collector {
    pub async fn start() -> Self {
        let shared = Shared {
            spans: Arc::default(),
            requests: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            spans: shared.spans,
            requests: shared.requests,
            task,
        }
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    /// The spans of one trace received so far.
    pub fn trace(&self, trace_id: &str) -> Vec<Span> {
        self.spans().into_iter().filter(|s| s.trace_id == trace_id).collect()
    }

    /// Export requests received, and how many of them could not be decoded.
    pub fn requests(&self) -> (usize, usize) {
        *self.requests.lock().unwrap()
    }

    /// Waits up to `within` until `done` holds for the spans of `trace_id`;
    /// returns them either way.
    pub async fn wait_for(&self, trace_id: &str, within: Duration, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
        let deadline = Instant::now() + within;
        loop {
            let spans = self.trace(trace_id);
            if done(&spans) || Instant::now() > deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
