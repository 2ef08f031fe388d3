//! The gateway binary: config → telemetry → migrate or serve.

/// mimalloc: faster than the system allocator for the many small JSON
/// values a request makes (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    roundabout_support::telemetry::init("gateway");
    let config = roundabout_gateway::Config::from_env()?;
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => roundabout_gateway::migrate(&config).await,
        None | Some("serve") => roundabout_gateway::build(config).await?.run().await,
        Some(other) => anyhow::bail!("unknown command {other:?}: expected `serve` (the default) or `migrate`"),
    }
}
