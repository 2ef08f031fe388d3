//! Logs and spans with `tracing`.
//!
//! **Logs.** `LOG_FORMAT=json` (the default in production) writes one JSON
//! object per line on stderr; otherwise a compact human format, in colour
//! only when stderr is a terminal and `NO_COLOR` is unset. `RUST_LOG` sets
//! the filter (default [`DEFAULT_FILTER`]). Every line written
//! while a request is served carries its `trace_id` ([`crate::trace`]).
//!
//! **Spans.** When `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the part's spans are
//! exported to that OpenTelemetry collector over OTLP/HTTP (protobuf), in
//! batches, from a thread of their own ([`otel`]): each request it serves
//! ([`crate::trace::propagate`]), each call it makes to another part
//! ([`crate::trace::outgoing`]) and each database statement run while
//! serving one ([`db`]). The standard `OTEL_*` variables apply: the
//! sampler (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`; default
//! `parentbased_always_on`), the batches (`OTEL_BSP_*`), headers
//! (`OTEL_EXPORTER_OTLP_HEADERS`), resource attributes
//! (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`), and
//! `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn export off.
//! Without an endpoint nothing of OpenTelemetry is installed, and trace
//! context is still carried from part to part and written in the logs.

pub mod db;
mod otel;

use std::io::IsTerminal;

use tracing_subscriber::{
    filter::Targets, fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer, Registry,
};

use crate::config::ConfigError;

/// The log filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,hyper=warn,opentelemetry=warn";

/// What [`init`] installed; [`Telemetry::shutdown`] sends the spans still
/// waiting before the process ends.
#[must_use = "keep it until the process ends, then call `shutdown`"]
pub struct Telemetry {
    exporter: Option<otel::Exporter>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.exporter.is_some()
    }

    /// Exports the spans still waiting (within a few seconds) and stops the
    /// exporter.
    pub async fn shutdown(self) {
        if let Some(e) = self.exporter {
            let _ = tokio::task::spawn_blocking(move || e.shutdown()).await;
        }
    }
}

/// Whether log lines may carry colour: stderr is a terminal and `NO_COLOR`
/// is unset or empty (<https://no-color.org>).
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the global subscriber for the part `service` (`gateway`,
/// `bookings`, …, `web`: its `service.name` in spans), with span export when
/// configured. Call it once, inside the Tokio runtime; later calls install
/// nothing. An unusable `OTEL_*` setting is an error naming the variable.
pub fn init(service: &'static str) -> Result<Telemetry, ConfigError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok(_) => false,
        Err(_) => std::env::var("ROUNDABOUT_ENV").as_deref() == Ok("production"),
    };
    let logs: Box<dyn Layer<Registry> + Send + Sync> = if json {
        fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed()
    } else {
        fmt::layer()
            .compact()
            .with_ansi(colour())
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed()
    };
    let exporter = otel::Exporter::from_env(service)?;
    let mut layers = vec![logs];
    if let Some(e) = &exporter {
        layers.push(e.spans_layer());
        layers.push(db::layer(e.tracer()).with_filter(db::events()).boxed());
    }
    if tracing_subscriber::registry().with(layers).try_init().is_err() {
        // Installed before: this process's telemetry is already in place.
        if let Some(e) = exporter {
            e.shutdown();
        }
        return Ok(Telemetry { exporter: None });
    }
    if exporter.is_some() {
        crate::trace::set_exporting();
    }
    tracing::debug!(service, exporting = exporter.is_some(), "telemetry initialised");
    Ok(Telemetry { exporter })
}

/// The spans handed to the OpenTelemetry layer: those of Roundabout's own
/// crates at `info` and above (requests, calls, the functions instrumented
/// at that level), never the libraries' own.
fn own_spans() -> Targets {
    Targets::new().with_target("roundabout", tracing::Level::INFO)
}
