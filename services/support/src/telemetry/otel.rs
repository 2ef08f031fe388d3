//! Span export over OTLP/HTTP: the tracer provider, its resource (who is
//! speaking) and the HTTP client the exporter sends through.
//!
//! The provider's batch processor runs on a thread of its own and sends a
//! batch when it has `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` spans (512) or every
//! `OTEL_BSP_SCHEDULE_DELAY` (5 s); at most `OTEL_BSP_MAX_QUEUE_SIZE` (2,048)
//! wait, and spans beyond that are dropped rather than slowing requests.
//! The exporter's requests go through the workspace's reqwest client on the
//! process's Tokio runtime ([`RuntimeClient`]).

use std::{future::Future, pin::Pin, time::Duration};

use opentelemetry::{trace::TracerProvider as _, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{
    resource::{EnvResourceDetector, TelemetryResourceDetector},
    trace::{SdkTracer, SdkTracerProvider},
    Resource,
};
use tracing_subscriber::{Layer, Registry};

use crate::config::ConfigError;

/// How long the last batches may take to leave at shutdown.
const SHUTDOWN_WITHIN: Duration = Duration::from_secs(5);

/// The installed provider.
pub(super) struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// The exporter `OTEL_*` asks for, or `None` when no endpoint is set or
    /// export is turned off.
    pub(super) fn from_env(service: &'static str) -> Result<Option<Self>, ConfigError> {
        let endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if endpoint.is_none() || off()? {
            return Ok(None);
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let Some(p) = var(name) {
                if p != "http/protobuf" {
                    return Err(ConfigError::new(
                        name,
                        format!("only http/protobuf is supported, got {p:?}"),
                    ));
                }
            }
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(ConfigError::new(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "spans can only be exported from within the Tokio runtime",
            ));
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ConfigError::new("OTEL_EXPORTER_OTLP_ENDPOINT", format!("no HTTP client: {e}")))?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_http_client(RuntimeClient { http, runtime })
            .build()
            .map_err(|e| ConfigError::new("OTEL_EXPORTER_OTLP_ENDPOINT", e.to_string()))?;
        // The sampler comes from OTEL_TRACES_SAMPLER(_ARG), read by the SDK.
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource(service)?)
            .build();
        Ok(Some(Self { provider }))
    }

    pub(super) fn tracer(&self) -> SdkTracer {
        self.provider.tracer("roundabout")
    }

    /// The layer turning Roundabout's spans into OpenTelemetry spans.
    pub(super) fn spans_layer(&self) -> Box<dyn Layer<Registry> + Send + Sync> {
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer())
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(super::own_spans())
            .boxed()
    }

    /// Sends what is waiting and stops (blocks up to [`SHUTDOWN_WITHIN`]).
    pub(super) fn shutdown(self) {
        let _ = self.provider.shutdown_with_timeout(SHUTDOWN_WITHIN);
    }
}

/// An `OTEL_*` variable as the SDK reads it (no `_FILE` form): set and not blank.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
fn off() -> Result<bool, ConfigError> {
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(true);
    }
    match var("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => Ok(false),
        Some("none") => Ok(true),
        Some(other) => Err(ConfigError::new(
            "OTEL_TRACES_EXPORTER",
            format!("only otlp or none is supported, got {other:?}"),
        )),
    }
}

/// Who the spans come from: `service.name` (the part, unless
/// `OTEL_SERVICE_NAME` says otherwise), `service.namespace` (`roundabout`),
/// `service.version`, `service.instance.id` (new for each process),
/// `deployment.environment.name` (`ROUNDABOUT_ENV`), `process.pid`,
/// `host.name`; then `OTEL_RESOURCE_ATTRIBUTES`, which may add to them or
/// override them.
fn resource(service: &'static str) -> Result<Resource, ConfigError> {
    let environment = if crate::config::Environment::from_env()?.is_production() {
        "production"
    } else {
        "development"
    };
    let mut own = vec![
        KeyValue::new("service.name", service),
        KeyValue::new("service.namespace", "roundabout"),
        KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        KeyValue::new("service.instance.id", uuid::Uuid::new_v4().to_string()),
        KeyValue::new("deployment.environment.name", environment),
        KeyValue::new("process.pid", i64::from(std::process::id())),
    ];
    if let Some(host) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
    {
        own.push(KeyValue::new("host.name", host));
    }
    let mut builder = Resource::builder_empty()
        .with_detector(Box::new(TelemetryResourceDetector))
        .with_attributes(own)
        .with_detector(Box::new(EnvResourceDetector::new()));
    if let Some(name) = var("OTEL_SERVICE_NAME") {
        builder = builder.with_service_name(name);
    }
    Ok(builder.build())
}

/// The exporter's HTTP client: the workspace's reqwest, each request run on
/// the Tokio runtime the part serves on (the batch processor's thread has
/// none) and awaited from that thread.
#[derive(Debug)]
struct RuntimeClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

type Answer = Result<Response<Bytes>, HttpError>;

impl HttpClient for RuntimeClient {
    fn send_bytes<'a, 'b>(&'a self, request: Request<Bytes>) -> Pin<Box<dyn Future<Output = Answer> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        let http = self.http.clone();
        let sent = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let res = http.execute(request).await?;
            let mut answer = Response::builder().status(res.status());
            if let Some(headers) = answer.headers_mut() {
                *headers = res.headers().clone();
            }
            let body = res.bytes().await?;
            Ok::<_, HttpError>(answer.body(body)?)
        });
        Box::pin(async move { sent.await.map_err(|e| Box::new(e) as HttpError)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_names_the_part_and_its_instance() {
        let r = resource("bookings").unwrap();
        let get = |k: &'static str| r.get(&opentelemetry::Key::from_static_str(k)).map(|v| v.to_string());
        assert_eq!(get("service.namespace").as_deref(), Some("roundabout"));
        assert_eq!(get("service.version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(get("service.instance.id").map(|v| v.len()), Some(36));
        assert!(get("deployment.environment.name").is_some());
        assert!(get("telemetry.sdk.name").is_some());
    }
}
