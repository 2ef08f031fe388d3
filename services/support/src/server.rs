//! The HTTP host every service runs in.
//!
//! [`ServiceHost::build`] binds the listener (port 0 picks a free port, which
//! tests read back with [`Application::port`]) and wraps the service's API in
//! what every service has: caller authentication, a body limit, a
//! concurrency limit and a request timeout ([`crate::admission`]), W3C trace
//! context and a log line per request (`trace`), panic catching, metrics, and the unauthenticated `/healthz` and
//! `/readyz` (database reachable and every migration applied) that
//! orchestrators probe.
//!
//! `/metrics` is not on that port: request counts, latencies and pool state
//! are for the operator, not the public, and the gateway's port is public.
//! It is served alone on a second, internal listener (`METRICS_PORT`,
//! [`Application::metrics_port`]) that deployments do not publish and only
//! the monitoring namespace may reach.

use std::{future::Future, net::SocketAddr, pin::Pin, time::Duration};

use anyhow::Context;
use axum::{
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    middleware,
    response::IntoResponse,
    routing::get,
    Json, Router,
};
use sqlx::{migrate::Migrator, PgPool};
use tokio::net::TcpListener;
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::{
    admission::{self, Admission},
    error::ApiError,
    internal_auth::{self, InternalAuth},
    metrics::{self, Metrics},
    shutdown::{self, Shutdown},
    trace,
};
use roundabout_api::routes;

/// A background task run beside the HTTP server until shutdown.
pub type Task = Box<dyn FnOnce(Shutdown) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What a service hands to the host.
pub struct ServiceHost {
    pub name: &'static str,
    pub pool: PgPool,
    pub migrator: &'static Migrator,
    pub auth: InternalAuth,
    pub metrics: Metrics,
    /// Routes that require a signed caller (the internal API).
    pub api: Router,
    /// Routes open to anyone (for example a webhook or an open-data feed).
    pub public: Router,
    pub max_body_bytes: usize,
    /// The concurrency limit and request timeout (see [`crate::admission`]).
    pub admission: Admission,
    /// Where the internal metrics listener binds.
    pub metrics_bind: SocketAddr,
    pub tasks: Vec<Task>,
}

#[derive(Clone)]
struct ProbeState {
    pool: PgPool,
    migrator: &'static Migrator,
}

/// A bound, not yet running service.
pub struct Application {
    name: &'static str,
    listener: TcpListener,
    router: Router,
    metrics_listener: TcpListener,
    metrics_router: Router,
    tasks: Vec<Task>,
}

impl ServiceHost {
    /// A host for `api` with the standard metrics and no public routes or tasks.
    pub fn new(
        name: &'static str,
        config: &crate::config::HostConfig,
        pool: PgPool,
        migrator: &'static Migrator,
        auth: InternalAuth,
        api: Router,
    ) -> Self {
        Self {
            name,
            pool,
            migrator,
            auth,
            metrics: Metrics::new(name),
            api,
            public: Router::new(),
            max_body_bytes: config.max_body_bytes,
            admission: Admission::new(config.max_concurrent_requests, config.request_timeout),
            metrics_bind: config.metrics_bind,
            tasks: Vec::new(),
        }
    }

    /// Adds routes open to anyone.
    pub fn with_public(mut self, public: Router) -> Self {
        self.public = self.public.merge(public);
        self
    }

    /// Answers requests refused by the admission limit or the timeout with
    /// `render` (the gateway answers in GraphQL's shape).
    pub fn with_refusal(mut self, render: crate::admission::Render) -> Self {
        self.admission = self.admission.with_render(render);
        self
    }

    /// Serves `document` (the service's OpenAPI document) at
    /// `/openapi.json`, behind the internal auth like the rest of the API.
    pub fn with_openapi(mut self, document: &serde_json::Value) -> Self {
        let text: std::sync::Arc<str> = serde_json::to_string(document).unwrap_or_default().into();
        let api = std::mem::take(&mut self.api);
        self.api = api.route(
            routes::common::OPENAPI,
            get(move || {
                let text = text.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        text.to_string(),
                    )
                }
            }),
        );
        self
    }

    /// Adds a background task.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Binds `addr` and the metrics address, and assembles the routers.
    pub async fn build(self, addr: SocketAddr) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr} for the {} service", self.name))?;
        let metrics_addr = self.metrics_bind;
        let metrics_listener = TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("binding {metrics_addr} (METRICS_PORT) for the {} service", self.name))?;
        let probes = Router::new()
            .route(routes::common::HEALTHZ, get(healthz))
            .route(routes::common::READYZ, get(readyz))
            .with_state(ProbeState {
                pool: self.pool.clone(),
                migrator: self.migrator,
            });
        let metrics_router = Router::new()
            .route(routes::common::METRICS, get(metrics::endpoint))
            .with_state(metrics::Scrape {
                metrics: self.metrics.clone(),
                pool: Some(self.pool.clone()),
            })
            .fallback(not_found);
        let api = if self.api.has_routes() {
            self.api.route_layer(middleware::from_fn_with_state(
                self.auth.clone(),
                internal_auth::require_caller,
            ))
        } else {
            self.api
        };
        let router = Router::new()
            .merge(api)
            .merge(self.public)
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(self.max_body_bytes))
            .layer(middleware::from_fn_with_state(
                self.admission.with_counter(self.metrics.refused.clone()),
                admission::admit,
            ))
            .layer(middleware::from_fn_with_state(self.metrics.clone(), metrics::track))
            .layer(middleware::from_fn(trace::propagate))
            .layer(TraceLayer::new_for_http())
            .layer(CatchPanicLayer::custom(|_| {
                ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
            }))
            .merge(probes);
        Ok(Application {
            name: self.name,
            listener,
            router,
            metrics_listener,
            metrics_router,
            tasks: self.tasks,
        })
    }
}

impl Application {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The bound port of the internal metrics listener.
    pub fn metrics_port(&self) -> u16 {
        self.metrics_listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `stop` resolves, then drains requests and stops the
    /// background tasks and the metrics listener.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (trigger, signal) = shutdown::channel();
        tracing::info!(
            service = self.name,
            port = self.port(),
            metrics_port = self.metrics_port(),
            "listening"
        );
        let mut handles: Vec<_> = self
            .tasks
            .into_iter()
            .map(|t| tokio::spawn(t(signal.clone())))
            .collect();
        let metrics_stop = signal.clone();
        handles.push(tokio::spawn(async move {
            let served = axum::serve(self.metrics_listener, self.metrics_router)
                .with_graceful_shutdown(metrics_stop.wait())
                .await;
            if let Err(e) = served {
                tracing::error!(error = ?e, "the metrics listener stopped");
            }
        }));
        let name = self.name;
        // Calls from this process's other parts come straight to the
        // router until shutdown begins (`client`'s in-process transport).
        let in_process = self
            .listener
            .local_addr()
            .ok()
            .map(|addr| crate::client::enter_in_process(addr, self.router.clone()));
        // The peer's address is kept for per-client rate limits.
        axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.await;
            drop(in_process);
            tracing::info!(service = name, "shutting down");
        })
        .await
        .context("serving HTTP")?;
        trigger.trigger();
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown::os_signal()).await
    }

    /// Runs on the current runtime in the background (tests); the service
    /// stops when the returned trigger fires or is dropped.
    pub fn spawn(self) -> shutdown::Trigger {
        let (trigger, signal) = shutdown::channel();
        tokio::spawn(async move {
            if let Err(e) = self.run_until(signal.wait()).await {
                tracing::error!(error = ?e, "service stopped with an error");
            }
        });
        trigger
    }
}

/// The answer of `/healthz`.
#[derive(serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// The answer of `/readyz`.
#[derive(serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// Whether the database answered.
    pub database: bool,
    /// Whether every migration the binary embeds is applied.
    pub migrations: bool,
}

async fn healthz() -> impl IntoResponse {
    Json(Health { status: "ok" })
}

async fn readyz(State(s): State<ProbeState>) -> impl IntoResponse {
    let db = crate::db::ping(&s.pool).await.is_ok();
    let migrated = db
        && crate::db::migrations_applied(&s.pool, s.migrator)
            .await
            .unwrap_or(false);
    let status = if db && migrated {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let readiness = Readiness {
        status: if status == StatusCode::OK { "ready" } else { "not ready" },
        database: db,
        migrations: migrated,
    };
    (status, Json(readiness))
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such route")
}
