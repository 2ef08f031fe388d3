//! `roundabout up`: the whole marketplace on one machine.
//!
//! Uses `DATABASE_URL` (a server; one database per part is created on it) or
//! starts a private PostgreSQL cluster in the data directory. Applies every
//! migration, starts each part and the web front end as a child process
//! (`roundabout serve …`),
//! waits until all are ready, seeds the demo if asked, and prints where
//! everything is. The children are supervised (`crate::supervise`): one that
//! dies is started again, and Ctrl-C or SIGTERM at any instant stops the
//! children and the cluster.
//!
//! With `--replicas N` (N > 1) each service and the gateway run N times,
//! each copy on its own port (`bookings#1`, `bookings#2`, …). Every part is
//! given each service's replicas as a comma-separated list
//! (`BOOKINGS_URL=http://…:a,http://…:b`), across which its
//! `ServiceClient` balances; the public `--port` is a round-robin TCP front
//! over the gateways (`crate::front`), which the web front end uses too.
//! Migrations run once, here, before any replica starts.
//!
//! With `--one-process` every part and the web front end run in one child,
//! `roundabout serve all`, each on its own port with its own database and
//! keys as before (given as `<PART>__<VAR>`), and the calls between them go
//! in process rather than over loopback HTTP (docs/PERFORMANCE.md). That
//! child is supervised like any other: if it dies, all of it restarts.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use crate::{
    supervise::{Spec, StopSignal, Supervisor},
    Part,
};
use anyhow::{bail, Context};
use children::{distinct_port, start_children};

mod children;
use roundabout_support::pg_cluster::{ClusterError, PgCluster};
use serde::{Deserialize, Serialize};

pub struct Options {
    pub demo: bool,
    pub port: u16,
    /// Port of the web front end.
    pub web_port: u16,
    pub data_dir: PathBuf,
    /// Copies of each service and of the gateway (at least 1).
    pub replicas: u16,
    /// Every line the parts log on the terminal too, not only their
    /// warnings and errors (also when `RUST_LOG` is set).
    pub verbose: bool,
    /// Every part and the web front end in one child process
    /// (`roundabout serve all`), calling one another in process; with one
    /// replica only.
    pub one_process: bool,
}

/// A replica's name: the part's alone when it runs once, else `<part>#<n>`
/// counting from 1.
pub fn replica_name(part: Part, i: u16, replicas: u16) -> String {
    if replicas <= 1 {
        part.name().to_string()
    } else {
        format!("{}#{}", part.name(), i + 1)
    }
}

/// Keys and the admin account of a local stack, generated on first run and
/// kept (mode 0600) in the data directory so tokens and sign-ins survive
/// restarts.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct LocalSecrets {
    /// Each part's private key for internal calls (`<kid>:<key>`), by part
    /// name; a part is given its own alone and every part's public key.
    #[serde(default)]
    pub internal_keys: BTreeMap<String, String>,
    pub token_key: String,
    pub admin_email: String,
    pub admin_password: String,
    /// Signs the web front end's session cookies (added later: empty in older files until filled in).
    #[serde(default)]
    pub web_session_key: String,
}

/// Random text for keys and generated passwords.
pub fn random_secret(len: usize) -> String {
    use rand::{distributions::Alphanumeric, Rng};
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Writes `contents` readable by the owner only.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

impl LocalSecrets {
    fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("secrets.json");
        if let Ok(raw) = std::fs::read_to_string(&path) {
            let mut s: Self = serde_json::from_str(&raw).with_context(|| format!("reading {}", path.display()))?;
            let mut changed = false;
            if s.web_session_key.is_empty() {
                s.web_session_key = random_secret(48);
                changed = true;
            }
            changed |= s.fill_internal_keys()?;
            if changed {
                write_private(&path, &serde_json::to_string_pretty(&s)?)?;
            }
            return Ok(s);
        }
        let mut s = Self {
            internal_keys: BTreeMap::new(),
            token_key: random_secret(48),
            admin_email: std::env::var("BOOTSTRAP_ADMIN_EMAIL").unwrap_or_else(|_| "admin@roundabout.localhost".into()),
            admin_password: std::env::var("BOOTSTRAP_ADMIN_PASSWORD").unwrap_or_else(|_| random_secret(20)),
            web_session_key: random_secret(48),
        };
        s.fill_internal_keys()?;
        write_private(&path, &serde_json::to_string_pretty(&s)?)?;
        Ok(s)
    }

    /// Generates a key pair for every part that has none (or an unreadable
    /// one); true if any was made.
    fn fill_internal_keys(&mut self) -> anyhow::Result<bool> {
        let mut changed = false;
        for part in Part::ALL {
            let usable = self
                .internal_keys
                .get(part.name())
                .is_some_and(|k| roundabout_support::internal_keys::SigningKey::parse(k).is_ok());
            if !usable {
                let key = crate::keys::generate(part)?;
                self.internal_keys.insert(part.name().to_string(), key.private);
                changed = true;
            }
        }
        Ok(changed)
    }

    /// `part`'s private key, and every part's public key as one
    /// `INTERNAL_TRUSTED_KEYS` value.
    fn internal_env(&self, part: Part) -> anyhow::Result<(String, String)> {
        let mut entries = Vec::new();
        for p in Part::ALL {
            let text = self
                .internal_keys
                .get(p.name())
                .with_context(|| format!("no internal key for {}", p.name()))?;
            let key = roundabout_support::internal_keys::SigningKey::parse(text)?;
            entries.push(key.trusted_entry(p.name()));
        }
        let own = self
            .internal_keys
            .get(part.name())
            .with_context(|| format!("no internal key for {}", part.name()))?;
        Ok((
            own.clone(),
            crate::keys::trusted_list(entries.iter().map(String::as_str)),
        ))
    }
}

/// Holds `<data dir>/up.lock` exclusively, or explains who does.
fn lock_data_dir(dir: &Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("up.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "Roundabout is already running with the data directory {}; stop it first (see `roundabout status --data-dir {}`)",
            dir.display(),
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

/// Where the database server is, and the private cluster if we started one.
struct Database {
    server_url: String,
    cluster: Option<PgCluster>,
}

async fn database(data_dir: &Path) -> anyhow::Result<Database> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        if !url.trim().is_empty() {
            println!("Using the PostgreSQL server in DATABASE_URL");
            return Ok(Database {
                server_url: url,
                cluster: None,
            });
        }
    }
    let dir = data_dir.to_path_buf();
    println!("Starting a private PostgreSQL in {} …", dir.join("pg").display());
    let started = tokio::task::spawn_blocking(move || PgCluster::start(&dir)).await?;
    match started {
        Ok(mut c) => {
            // A cluster still running here was left by an `up` that was
            // killed (the data directory's lock says no other `up` uses it):
            // ours to stop now.
            c.adopt();
            Ok(Database {
                server_url: c.url(),
                cluster: Some(c),
            })
        }
        Err(ClusterError::NotInstalled(hint)) => bail!("{hint}"),
        Err(e) => Err(e.into()),
    }
}

pub async fn run(opts: Options) -> anyhow::Result<ExitCode> {
    // Before anything else: from here on, Ctrl-C or SIGTERM is a clean stop.
    let stop = StopSignal::install()?;
    std::fs::create_dir_all(&opts.data_dir).with_context(|| format!("creating {}", opts.data_dir.display()))?;
    // One `up` per data directory, for as long as it runs (the kernel drops
    // the lock when the process ends, however it ends).
    let _lock = lock_data_dir(&opts.data_dir)?;
    if std::net::TcpListener::bind(("127.0.0.1", opts.port)).is_err() {
        bail!("port {} is in use; choose another with --port", opts.port);
    }
    if std::net::TcpListener::bind(("127.0.0.1", opts.web_port)).is_err() {
        bail!("port {} is in use; choose another with --web-port", opts.web_port);
    }
    // GOV.UK Frontend for the web front end, from the committed lock file, built into web/dist.
    let web_dir = roundabout_web::install::package_dir();
    if let Err(e) = tokio::task::spawn_blocking(move || roundabout_web::install::ensure_assets(&web_dir)).await? {
        eprintln!("roundabout: the web front end will have no styles: {e}");
    }
    let secrets = LocalSecrets::load_or_create(&opts.data_dir)?;
    if stop.requested() {
        println!("Stopped before starting.");
        return Ok(ExitCode::SUCCESS);
    }
    // Starting PostgreSQL cannot be interrupted; a stop asked for meanwhile
    // is honoured as soon as it is up (and then stops it).
    let mut db = database(&opts.data_dir).await?;
    let outcome = if stop.requested() {
        println!("Stopping …");
        Ok(ExitCode::SUCCESS)
    } else {
        run_stack(&opts, &secrets, &db.server_url, &stop).await
    };
    if let Some(mut c) = db.cluster.take() {
        println!("Stopping PostgreSQL …");
        tokio::task::spawn_blocking(move || c.stop()).await??;
    }
    outcome
}

async fn run_stack(
    opts: &Options,
    secrets: &LocalSecrets,
    server_url: &str,
    stop: &StopSignal,
) -> anyhow::Result<ExitCode> {
    let migrate = async {
        for part in Part::ALL {
            let name = part.database();
            roundabout_support::db::ensure_database(server_url, &name).await?;
            part.migrate_url(&roundabout_support::db::database_url(server_url, &name))
                .await
                .with_context(|| format!("migrating the {} database", part.name()))?;
        }
        anyhow::Ok(())
    };
    tokio::select! {
        migrated = migrate => migrated?,
        () = stop.wait() => {
            println!("Stopping …");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let replicas = opts.replicas.max(1);
    let mut taken = HashSet::from([opts.port, opts.web_port]);
    let mut ports: HashMap<Part, Vec<u16>> = HashMap::new();
    for part in Part::ALL {
        let list = if part == Part::Gateway && replicas == 1 {
            vec![opts.port]
        } else {
            (0..replicas)
                .map(|_| distinct_port(&mut taken))
                .collect::<anyhow::Result<_>>()?
        };
        ports.insert(part, list);
    }
    // Several gateways: one public address in front of them.
    let front = if replicas > 1 {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
            .await
            .with_context(|| format!("port {} is in use; choose another with --port", opts.port))?;
        let backends = ports[&Part::Gateway]
            .iter()
            .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], *p)))
            .collect();
        Some(crate::front::spawn(listener, backends))
    } else {
        None
    };
    let exe = std::env::current_exe().context("finding the roundabout executable")?;
    let verbose = opts.verbose || std::env::var_os("RUST_LOG").is_some_and(|v| !v.is_empty());
    let mut sup = Supervisor::new(exe, &opts.data_dir, verbose)?;
    let started = start_children(&mut sup, opts, secrets, server_url, &ports, &mut taken);
    let outcome = match started {
        Ok(shown) => supervise(opts, secrets, &mut sup, &shown, stop).await,
        Err(e) => Err(e),
    };
    sup.stop_all().await;
    if let Some(front) = front {
        front.abort();
    }
    outcome
}

/// Where `up` is between starting its children and serving.
enum Phase {
    /// Waiting for every child's `/readyz`.
    Starting {
        deadline: tokio::time::Instant,
    },
    /// Seeding the demo through the gateway.
    Seeding(tokio::task::JoinHandle<anyhow::Result<Vec<crate::demo::DemoAccount>>>),
    Running,
}

/// Keeps the children running until a stop is asked for or one keeps
/// failing; seeds the demo and prints the banner once all are ready.
async fn supervise(
    opts: &Options,
    secrets: &LocalSecrets,
    sup: &mut Supervisor,
    shown: &[Spec],
    stop: &StopSignal,
) -> anyhow::Result<ExitCode> {
    let gateway = format!("http://127.0.0.1:{}", opts.port);
    let mut phase = Phase::Starting {
        deadline: tokio::time::Instant::now() + Duration::from_secs(90),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(150));
    let outcome = loop {
        tokio::select! {
            () = stop.wait() => {
                println!("Stopping …");
                break ExitCode::SUCCESS;
            }
            _ = tick.tick() => {}
        }
        if let Err(gave_up) = sup.check(std::time::Instant::now()) {
            eprintln!(
                "roundabout: {} stopped {} times within a minute (last: {}); stopping everything",
                gave_up.name,
                crate::supervise::MAX_CRASHES,
                gave_up.last_exit
            );
            break ExitCode::FAILURE;
        }
        let all_ready = sup.poll_ready().await;
        sup.write_status(true);
        match &mut phase {
            Phase::Starting { deadline } => {
                if all_ready {
                    phase = if opts.demo {
                        let (base, secrets, dir) = (gateway.clone(), secrets.clone(), opts.data_dir.clone());
                        Phase::Seeding(tokio::spawn(
                            async move { crate::demo::seed(&base, &secrets, &dir).await },
                        ))
                    } else {
                        print_banner(opts, secrets, shown, &[]);
                        Phase::Running
                    };
                } else if tokio::time::Instant::now() > *deadline {
                    eprintln!("roundabout: not ready after 90 s: {}", sup.not_ready().join(", "));
                    break ExitCode::FAILURE;
                }
            }
            Phase::Seeding(task) if task.is_finished() => match task.await {
                Ok(Ok(accounts)) => {
                    print_banner(opts, secrets, shown, &accounts);
                    phase = Phase::Running;
                }
                Ok(Err(e)) => {
                    eprintln!("roundabout: seeding the demo failed: {e:#}");
                    break ExitCode::FAILURE;
                }
                Err(e) => {
                    eprintln!("roundabout: seeding the demo failed: {e}");
                    break ExitCode::FAILURE;
                }
            },
            Phase::Seeding(_) | Phase::Running => {}
        }
    };
    if let Phase::Seeding(task) = phase {
        task.abort();
    }
    Ok(outcome)
}

fn print_banner(opts: &Options, secrets: &LocalSecrets, shown: &[Spec], accounts: &[crate::demo::DemoAccount]) {
    let gateway = format!("http://127.0.0.1:{}", opts.port);
    println!();
    println!("Roundabout is running.");
    println!("  Web:       http://127.0.0.1:{}/", opts.web_port);
    println!("  GraphQL:   {gateway}/graphql");
    println!("  GraphiQL:  {gateway}/graphiql");
    if opts.replicas > 1 {
        println!(
            "  Replicas:  {} of each service and of the gateway (round-robin on port {})",
            opts.replicas, opts.port
        );
    }
    let payments = replica_name(Part::Payments, 0, opts.replicas);
    if opts.one_process {
        println!("  Process:   every part in one (roundabout serve all), calling one another in process");
    }
    if let Some(payments) = shown.iter().find(|s| s.name == payments) {
        println!("  Stripe webhooks: {}/webhooks/stripe", payments.url);
    }
    let metrics: Vec<String> = shown
        .iter()
        .filter_map(|s| s.metrics_port.map(|p| format!("{} {p}", s.name)))
        .collect();
    println!("  Metrics:   http://127.0.0.1:<port>/metrics — {}", metrics.join(", "));
    let cards = std::env::var("STRIPE_SECRET_KEY").is_ok_and(|k| !k.is_empty());
    println!(
        "  Payments:  {}",
        if cards {
            "card payments through Stripe"
        } else {
            "invoice only (set STRIPE_SECRET_KEY for cards)"
        }
    );
    let sends = ["NOTIFY_API_KEY", "SMTP_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|k| !k.is_empty()));
    if sends {
        println!("  Messages:  sent through GOV.UK Notify or SMTP, as configured");
    } else {
        println!(
            "  Messages:  none really sent; read them at http://127.0.0.1:{}/mailbox (set SMTP_URL or NOTIFY_API_KEY to send)",
            opts.web_port
        );
    }
    println!(
        "  Logs:      {} ({}; warnings and errors are shown here too, every line with --verbose)",
        crate::logs::dir(&opts.data_dir).display(),
        if opts.one_process {
            "roundabout.log, every part's lines"
        } else {
            "one file per part"
        }
    );
    if let Some(endpoint) = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
    {
        println!("  Traces:    exported to {endpoint}");
    }
    println!("  Status:    roundabout status --data-dir {}", opts.data_dir.display());
    println!();
    println!(
        "Accounts (passwords are generated for this data directory and kept in {}):",
        opts.data_dir.display()
    );
    println!("  admin      {}  {}", secrets.admin_email, secrets.admin_password);
    for a in accounts {
        println!("  {:<10} {}  {}", a.role, a.email, a.password);
    }
    println!();
    println!("Press Ctrl-C to stop.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_are_named_after_their_part_and_counted_from_one() {
        assert_eq!(replica_name(Part::Bookings, 0, 1), "bookings");
        assert_eq!(replica_name(Part::Bookings, 0, 2), "bookings#1");
        assert_eq!(replica_name(Part::Gateway, 1, 2), "gateway#2");
    }
}
