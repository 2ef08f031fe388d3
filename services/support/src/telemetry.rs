//! Structured logs with `tracing`.
//!
//! `LOG_FORMAT=json` (the default in production) writes one JSON object per
//! line; otherwise a compact human format. `RUST_LOG` sets the filter
//! (default `info`).

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls do nothing.
pub fn init(service: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let json = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok(_) => false,
        Err(_) => std::env::var("ROUNDABOUT_ENV").as_deref() == Ok("production"),
    };
    let installed = if json {
        fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
    } else {
        fmt()
            .compact()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
    };
    if installed.is_ok() {
        tracing::debug!(service, "telemetry initialised");
    }
}
