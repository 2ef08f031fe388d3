//! `roundabout up`: the whole marketplace on one machine.
//!
//! Uses `DATABASE_URL` (a server; one database per part is created on it) or
//! starts a private PostgreSQL cluster in the data directory. Applies every
//! migration, starts each part and the web front end as a child process
//! (`roundabout serve …`),
//! waits until all are ready, seeds the demo if asked, and prints where
//! everything is. Ctrl-C or SIGTERM stops the children and the cluster; a
//! child that dies stops everything with a non-zero exit.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::{ExitCode, Stdio},
    time::Duration,
};

use anyhow::{bail, Context};
use roundabout_support::pg_cluster::{ClusterError, PgCluster};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::Part;

pub struct Options {
    pub demo: bool,
    pub port: u16,
    /// Port of the web front end.
    pub web_port: u16,
    pub data_dir: PathBuf,
}

/// Keys and the admin account of a local stack, generated on first run and
/// kept (mode 0600) in the data directory so tokens and sign-ins survive
/// restarts.
#[derive(Default, Serialize, Deserialize)]
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
        Ok(c) => Ok(Database {
            server_url: c.url(),
            cluster: Some(c),
        }),
        Err(ClusterError::NotInstalled(hint)) => bail!("{hint}"),
        Err(e) => Err(e.into()),
    }
}

/// A running part (or the web front end).
struct Running {
    name: &'static str,
    child: Child,
    url: String,
    /// Its internal metrics listener (none for the web front end).
    metrics_port: Option<u16>,
}

pub async fn run(opts: Options) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&opts.data_dir).with_context(|| format!("creating {}", opts.data_dir.display()))?;
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
    let mut db = database(&opts.data_dir).await?;
    let outcome = run_stack(&opts, &secrets, &db.server_url).await;
    if let Some(mut c) = db.cluster.take() {
        println!("Stopping PostgreSQL …");
        tokio::task::spawn_blocking(move || c.stop()).await??;
    }
    outcome
}

async fn run_stack(opts: &Options, secrets: &LocalSecrets, server_url: &str) -> anyhow::Result<ExitCode> {
    for part in Part::ALL {
        let name = part.database();
        roundabout_support::db::ensure_database(server_url, &name).await?;
        part.migrate_url(&roundabout_support::db::database_url(server_url, &name))
            .await
            .with_context(|| format!("migrating the {} database", part.name()))?;
    }
    let mut ports = HashMap::new();
    for part in Part::ALL {
        let port = if part == Part::Gateway {
            opts.port
        } else {
            roundabout_support::ports::free_port()?
        };
        ports.insert(part, port);
    }
    let url_of = |p: Part| format!("http://127.0.0.1:{}", ports[&p]);
    let exe = std::env::current_exe().context("finding the roundabout executable")?;
    let mut running = Vec::new();
    for part in Part::ALL {
        let (signing_key, trusted_keys) = secrets.internal_env(part)?;
        let metrics_port = roundabout_support::ports::free_port()?;
        let mut cmd = Command::new(&exe);
        cmd.args(["serve", part.name()])
            .env("HOST", "127.0.0.1")
            .env("PORT", ports[&part].to_string())
            .env("METRICS_PORT", metrics_port.to_string())
            .env(
                "DATABASE_URL",
                roundabout_support::db::database_url(server_url, &part.database()),
            )
            // Its own private key alone, and every part's public key.
            .env("INTERNAL_SIGNING_KEY", signing_key)
            .env("INTERNAL_TRUSTED_KEYS", trusted_keys)
            .env("ROUNDABOUT_ENV", "development")
            .env("INVENTORY_URL", url_of(Part::Inventory))
            .env("ELIGIBILITY_URL", url_of(Part::Eligibility))
            .env("BOOKINGS_URL", url_of(Part::Bookings))
            .env("PAYMENTS_URL", url_of(Part::Payments))
            .env("TOKEN_SIGNING_KEY", &secrets.token_key)
            .env("BOOTSTRAP_ADMIN_EMAIL", &secrets.admin_email)
            .env("BOOTSTRAP_ADMIN_PASSWORD", &secrets.admin_password)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().with_context(|| format!("starting {}", part.name()))?;
        prefix_output(part.name(), &mut child);
        running.push(Running {
            name: part.name(),
            child,
            url: url_of(part),
            metrics_port: Some(metrics_port),
        });
    }
    let mut web = Command::new(&exe);
    web.args(["serve", "web"])
        .env("HOST", "127.0.0.1")
        .env("PORT", opts.web_port.to_string())
        .env("GATEWAY_URL", url_of(Part::Gateway))
        .env("WEB_SESSION_KEY", &secrets.web_session_key)
        .env("ROUNDABOUT_ENV", "development")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = web.spawn().context("starting the web front end")?;
    prefix_output("web", &mut child);
    running.push(Running {
        name: "web",
        child,
        url: format!("http://127.0.0.1:{}", opts.web_port),
        metrics_port: None,
    });

    let outcome = supervise(opts, secrets, &mut running).await;
    stop_all(&mut running).await;
    outcome
}

/// Copies a child's output to ours, each line prefixed with its part.
fn prefix_output(name: &str, child: &mut Child) {
    let label = format!("[{name:<11}]");
    if let Some(out) = child.stdout.take() {
        let label = label.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                println!("{label} {l}");
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                eprintln!("{label} {l}");
            }
        });
    }
}

/// Returns the first child that has exited, with its status.
fn exited(running: &mut [Running]) -> Option<(&'static str, std::process::ExitStatus)> {
    running
        .iter_mut()
        .find_map(|r| r.child.try_wait().ok().flatten().map(|s| (r.name, s)))
}

async fn supervise(opts: &Options, secrets: &LocalSecrets, running: &mut [Running]) -> anyhow::Result<ExitCode> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut waiting: Vec<usize> = (0..running.len()).collect();
    while !waiting.is_empty() {
        if let Some((part, status)) = exited(running) {
            eprintln!("roundabout: {part} exited while starting ({status})");
            return Ok(ExitCode::FAILURE);
        }
        if tokio::time::Instant::now() > deadline {
            let names: Vec<_> = waiting.iter().map(|&i| running[i].name).collect();
            eprintln!("roundabout: not ready after 90 s: {}", names.join(", "));
            return Ok(ExitCode::FAILURE);
        }
        let mut still = Vec::new();
        for i in waiting {
            let ready = http
                .get(format!("{}/readyz", running[i].url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if !ready {
                still.push(i);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    let gateway = format!("http://127.0.0.1:{}", opts.port);
    let accounts = if opts.demo {
        let dir = opts.data_dir.clone();
        match crate::demo::seed(&gateway, secrets, &dir).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("roundabout: seeding the demo failed: {e:#}");
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        Vec::new()
    };

    println!();
    println!("Roundabout is running.");
    println!("  Web:       http://127.0.0.1:{}/", opts.web_port);
    println!("  GraphQL:   {gateway}/graphql");
    println!("  GraphiQL:  {gateway}/graphiql");
    if let Some(payments) = running.iter().find(|r| r.name == Part::Payments.name()) {
        println!("  Stripe webhooks: {}/webhooks/stripe", payments.url);
    }
    let metrics: Vec<String> = running
        .iter()
        .filter_map(|r| r.metrics_port.map(|p| format!("{} {p}", r.name)))
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
    println!();
    println!(
        "Accounts (passwords are generated for this data directory and kept in {}):",
        opts.data_dir.display()
    );
    println!("  admin      {}  {}", secrets.admin_email, secrets.admin_password);
    for a in &accounts {
        println!("  {:<10} {}  {}", a.role, a.email, a.password);
    }
    println!();
    println!("Press Ctrl-C to stop.");

    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let signal = roundabout_support::shutdown::os_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            _ = &mut signal => {
                println!("Stopping …");
                return Ok(ExitCode::SUCCESS);
            }
            _ = tick.tick() => {
                if let Some((part, status)) = exited(running) {
                    eprintln!("roundabout: {part} stopped unexpectedly ({status}); stopping everything");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
}

/// SIGTERM to every child (graceful), then SIGKILL to any still running after 10 s.
async fn stop_all(running: &mut [Running]) {
    for r in running.iter() {
        if let Some(pid) = r.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
    for r in running.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), r.child.wait())
            .await
            .is_err()
        {
            let _ = r.child.kill().await;
        }
    }
}
