//! The web front end: server-rendered pages in the GOV.UK Design System for
//! households, providers and council officers.
//!
//! It is a client of the public GraphQL API only ([`gateway::Gateway`]):
//! it never calls a service or a database. Pages work without JavaScript;
//! GOV.UK Frontend's script only improves them. Sessions are encrypted
//! cookies ([`session`]), every form carries a CSRF token
//! ([`form::CsrfForm`]), redirects go only to this site ([`redirect`]) and
//! each visitor's request rate is limited ([`limits`], [`client`]).

pub mod assets;
pub mod charts;
pub mod client;
pub mod config;
pub mod error;
pub mod form;
pub mod gateway;
pub mod install;
pub mod limits;
mod pages;
pub mod redirect;
pub mod session;
pub mod upload;
pub mod views;

use std::{
    future::{Future, IntoFuture},
    sync::Arc,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use roundabout_support::{
    admission::{self, Admission},
    metrics::{self, Metrics},
    shutdown, trace,
};
use tokio::net::TcpListener;

pub use config::Config;
/// What the accessibility statement says about how the service is tested,
/// and how long the privacy notices say records are kept (the tests check
/// them against what is true).
pub use pages::statutory::accessibility as statement;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub gateway: gateway::Gateway,
    pub keys: session::Keys,
    pub config: Arc<Config>,
    /// Each visitor's request budget ([`limits`]).
    pub limiter: Arc<limits::Limiter>,
    /// Whether the gateway has the demo mailbox (the footer links to it).
    pub(crate) mailbox: Arc<pages::mailbox::Probe>,
}

/// Random URL-safe text (session nonces, idempotency keys).
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A bound, not yet running front end.
pub struct WebApp {
    listener: TcpListener,
    router: Router,
    /// The internal listener serving `/metrics` alone (`METRICS_PORT`).
    metrics_listener: TcpListener,
    metrics_router: Router,
}

/// Binds the configured address and assembles the pages.
pub async fn build(config: Config) -> anyhow::Result<WebApp> {
    let assets = assets::install(Arc::new(assets::Assets::load(&config.assets_dir)));
    let state = AppState {
        gateway: gateway::Gateway::new(&config.gateway_url),
        keys: session::Keys::new(&config.session_key, config.secure_cookies()),
        config: Arc::new(config.clone()),
        limiter: Arc::new(limits::Limiter::new(config.rate_limits)),
        mailbox: Arc::new(if config.environment.is_production() {
            pages::mailbox::Probe::none()
        } else {
            pages::mailbox::Probe::default()
        }),
    };
    let metrics = Metrics::new("web");
    // Pages are admitted and bounded in time; the assets (in memory,
    // compressed once) are not, so a "busy" page still has its styles.
    // Every request starts or continues a trace, which the page's calls to
    // the gateway carry on (`trace::propagate`, `gateway.rs`), and is
    // counted by route and status.
    let router = pages::router()
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), session::layer))
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            Admission::new(config.max_concurrent_requests, config.request_timeout)
                .with_render(error::refused)
                .with_counter(metrics.refused.clone()),
            admission::admit,
        ))
        .merge(assets::router(assets))
        .route("/healthz", get(|| async { Json(serde_json::json!({"status": "ok"})) }))
        .route("/readyz", get(readyz).with_state(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), limits::layer))
        .layer(middleware::from_fn_with_state(state, client::layer))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(metrics.clone(), metrics::track))
        .layer(middleware::from_fn(trace::propagate))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {} for the web front end", config.bind))?;
    let metrics_listener = TcpListener::bind(config.metrics_bind)
        .await
        .with_context(|| format!("binding {} (METRICS_PORT) for the web front end", config.metrics_bind))?;
    Ok(WebApp {
        listener,
        router,
        metrics_listener,
        metrics_router: metrics::router(metrics::Scrape { metrics, pool: None }),
    })
}

async fn not_found() -> error::PageError {
    error::PageError::NotFound
}

/// Ready when the gateway answers.
async fn readyz(State(s): State<AppState>) -> Response {
    if s.gateway.is_up().await {
        Json(serde_json::json!({"status": "ready"})).into_response()
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not ready", "gateway": false})),
        )
            .into_response()
    }
}

/// Scripts, styles and fonts only from this site; no framing; forms post here only.
async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // A page may set its own (stricter, or with a form leading elsewhere).
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'none'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
            ),
        );
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) && !res.status().is_redirection() {
        // Pages hold personal data: not kept by shared caches.
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

impl WebApp {
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The bound port of the internal metrics listener.
    pub fn metrics_port(&self) -> u16 {
        self.metrics_listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `stop` resolves; the metrics listener stops with it.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(
            service = "web",
            port = self.port(),
            metrics_port = self.metrics_port(),
            "listening"
        );
        let (trigger, signal) = shutdown::channel();
        let metrics = tokio::spawn(
            axum::serve(self.metrics_listener, self.metrics_router)
                .with_graceful_shutdown(signal.wait())
                .into_future(),
        );
        let app = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(stop)
            .await
            .context("serving HTTP");
        trigger.trigger();
        let _ = metrics.await;
        served
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown::os_signal()).await
    }

    /// Runs in the background on the current runtime (tests) until the
    /// trigger fires or is dropped.
    pub fn spawn(self) -> shutdown::Trigger {
        let (trigger, signal) = shutdown::channel();
        tokio::spawn(async move {
            if let Err(e) = self.run_until(signal.wait()).await {
                tracing::error!(error = ?e, "web front end stopped with an error");
            }
        });
        trigger
    }
}
