//! A private PostgreSQL cluster, started and stopped by Roundabout itself.
//!
//! Used by `roundabout up` when `DATABASE_URL` is unset and by the test
//! runner. The cluster lives in a data directory of its own, listens only on
//! 127.0.0.1 on a free port (no Unix socket), and requires a password that is
//! generated at `initdb` and kept beside the data (mode 0600). Run as root,
//! the server runs as the `postgres` user, because PostgreSQL refuses root.
//!
//! Standard library only, like the rest of this crate.

use crate::ports::free_port;
use std::{
    fmt, fs,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// Why the cluster could not be started.
#[derive(Debug)]
pub enum ClusterError {
    /// PostgreSQL's server programs were not found.
    NotInstalled(String),
    /// Something else failed; the message says what.
    Failed(String),
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInstalled(m) | Self::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ClusterError {}

/// How to install PostgreSQL when it is missing.
pub const INSTALL_HINT: &str = "PostgreSQL's server programs (initdb, pg_ctl) were not found.\n\
Install PostgreSQL 15 or later, for example:\n  \
Debian/Ubuntu: sudo apt-get install postgresql\n  \
Fedora:        sudo dnf install postgresql-server\n  \
macOS:         brew install postgresql@16\n\
or set PG_BIN_DIR to the folder holding initdb, or set DATABASE_URL to an existing server.";

/// A running private cluster; stopped when dropped (unless it was already
/// running when we found it, in which case it is left as it was).
pub struct PgCluster {
    root: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    password: String,
    run_as_postgres: bool,
    owned: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Finds the folder holding `initdb` and `pg_ctl`.
pub fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        let d = PathBuf::from(dir);
        return if has_tools(&d) {
            Ok(d)
        } else {
            Err(ClusterError::NotInstalled(format!(
                "PG_BIN_DIR={} holds no initdb/pg_ctl.\n{INSTALL_HINT}",
                d.display()
            )))
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&d) {
            return Ok(d);
        }
    }
    // Debian and Ubuntu keep the server programs out of PATH.
    let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let d = e.path().join("bin");
            has_tools(&d).then_some((v, d))
        })
        .collect();
    versioned.sort();
    if let Some((_, d)) = versioned.pop() {
        return Ok(d);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let d = PathBuf::from(dir);
        if has_tools(&d) {
            return Ok(d);
        }
    }
    for d in ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"] {
        if has_tools(Path::new(d)) {
            return Ok(PathBuf::from(d));
        }
    }
    Err(ClusterError::NotInstalled(INSTALL_HINT.to_string()))
}

fn random_hex(bytes: usize) -> Result<String, ClusterError> {
    let mut buf = vec![0u8; bytes];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| ClusterError::Failed(format!("reading /dev/urandom: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn failed(what: &str, e: impl fmt::Display) -> ClusterError {
    ClusterError::Failed(format!("{what}: {e}"))
}

impl PgCluster {
    /// Starts (initialising on first use) the cluster kept in `root`.
    /// `root/pg` holds the data, `root/pg.password` the password and
    /// `root/postgres.log` the server log.
    pub fn start(root: &Path) -> Result<Self, ClusterError> {
        Self::start_with(root, "")
    }

    /// Like [`PgCluster::start`], with extra server options (for example
    /// `-c fsync=off` for throwaway test clusters).
    pub fn start_with(root: &Path, extra_options: &str) -> Result<Self, ClusterError> {
        let bin_dir = find_bin_dir()?;
        fs::create_dir_all(root).map_err(|e| failed(&format!("creating {}", root.display()), e))?;
        let root = root
            .canonicalize()
            .map_err(|e| failed(&format!("resolving {}", root.display()), e))?;
        let run_as_postgres = is_root();
        let mut cluster = Self {
            root: root.clone(),
            bin_dir,
            port: 0,
            password: String::new(),
            run_as_postgres,
            owned: true,
        };
        let data = cluster.data_dir();
        let password_file = root.join("pg.password");
        if !data.join("PG_VERSION").is_file() {
            cluster.init(&password_file)?;
        }
        cluster.password = fs::read_to_string(&password_file)
            .map_err(|e| failed(&format!("reading {}", password_file.display()), e))?
            .trim()
            .to_string();
        if let Some(port) = cluster.running_port() {
            // Left running by an earlier process that did not stop it: reuse.
            cluster.port = port;
            cluster.owned = false;
            return Ok(cluster);
        }
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port().map_err(|e| failed("finding a free port", e))?;
            match cluster.pg_ctl_start(extra_options)? {
                None => return Ok(cluster),
                Some(why) => last = why,
            }
        }
        Err(ClusterError::Failed(format!("PostgreSQL did not start: {last}")))
    }

    /// `pg_ctl start` on [`PgCluster::port`]; `Some(why)` when it failed.
    fn pg_ctl_start(&self, extra_options: &str) -> Result<Option<String>, ClusterError> {
        let opts = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400 {extra_options}",
            self.port
        );
        let log = self.root.join("postgres.log");
        let out = self
            .pg_command("pg_ctl")
            .args(["-D"])
            .arg(self.data_dir())
            .args(["-l"])
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .map_err(|e| failed("running pg_ctl start", e))?;
        if out.status.success() {
            return Ok(None);
        }
        Ok(Some(format!(
            "{}{}\n(see {})",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            log.display()
        )))
    }

    /// Stops the server at once, as a crash or a power cut would
    /// (`pg_ctl stop -m immediate`: no checkpoint; the next start replays
    /// the write-ahead log). For the chaos run.
    pub fn crash(&self) -> Result<(), ClusterError> {
        let out = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "-t", "60", "stop"])
            .output()
            .map_err(|e| failed("running pg_ctl stop", e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(ClusterError::Failed(format!(
                "pg_ctl stop -m immediate: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Starts the server again on the port it had, after [`PgCluster::crash`].
    pub fn start_again(&self) -> Result<(), ClusterError> {
        match self.pg_ctl_start("")? {
            None => Ok(()),
            Some(why) => Err(ClusterError::Failed(format!("PostgreSQL did not start again: {why}"))),
        }
    }

    fn init(&self, password_file: &Path) -> Result<(), ClusterError> {
        let data = self.data_dir();
        fs::create_dir_all(&data).map_err(|e| failed("creating the data directory", e))?;
        let password = random_hex(24)?;
        write_private(password_file, &password)?;
        // initdb reads the password from a file the server's user can read.
        let pwfile = self.root.join(".initdb-pw");
        write_private(&pwfile, &password)?;
        if self.run_as_postgres {
            for p in [&self.root, &data, &pwfile] {
                let ok = Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(p)
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                if !ok {
                    let _ = fs::remove_file(&pwfile);
                    return Err(ClusterError::Failed(format!(
                        "could not give {} to the postgres user (PostgreSQL refuses to run as root)",
                        p.display()
                    )));
                }
            }
        }
        let out = self
            .pg_command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "scram-sha-256", "-E", "UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .map_err(|e| failed("running initdb", e));
        let _ = fs::remove_file(&pwfile);
        let out = out?;
        if !out.status.success() {
            let _ = fs::remove_dir_all(&data);
            let _ = fs::remove_file(password_file);
            let mut msg = format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
            if self.run_as_postgres {
                msg.push_str(&format!(
                    "\nThe postgres user must be able to reach {}; choose another folder with --data-dir.",
                    self.root.display()
                ));
            }
            return Err(ClusterError::Failed(msg));
        }
        Ok(())
    }

    /// The port of a server already running on this data directory.
    fn running_port(&self) -> Option<u16> {
        let status = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let pid = fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        pid.lines().nth(3)?.trim().parse().ok()
    }

    fn pg_command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.stdin(Stdio::null());
        cmd
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("pg")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A server URL (database `postgres`) for the superuser.
    pub fn url(&self) -> String {
        format!("postgres://postgres:{}@127.0.0.1:{}/postgres", self.password, self.port)
    }

    /// Takes charge of a server found already running on this data
    /// directory, so that [`stop`](Self::stop) and drop stop it too. For a
    /// caller that holds the data directory alone (`roundabout up` locks it).
    pub fn adopt(&mut self) {
        self.owned = true;
    }

    /// Stops the server (fast shutdown: open sessions are ended, data is safe).
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        if !self.owned || self.port == 0 {
            return Ok(());
        }
        let out = self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .output()
            .map_err(|e| failed("running pg_ctl stop", e))?;
        self.port = 0;
        if out.status.success() {
            Ok(())
        } else {
            Err(ClusterError::Failed(format!(
                "pg_ctl stop: {}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn write_private(path: &Path, contents: &str) -> Result<(), ClusterError> {
    #[cfg(unix)]
    {
        use std::{io::Write, os::unix::fs::OpenOptionsExt};
        let mut f = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| failed(&format!("writing {}", path.display()), e))?;
        f.write_all(contents.as_bytes())
            .map_err(|e| failed(&format!("writing {}", path.display()), e))
    }
    #[cfg(not(unix))]
    fs::write(path, contents).map_err(|e| failed(&format!("writing {}", path.display()), e))
}
