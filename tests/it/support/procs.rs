//! Parts of the stack run as child processes (`roundabout serve <part>`),
//! so a test can SIGKILL one and start it again on the same port.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const EXE: &str = env!("CARGO_BIN_EXE_roundabout");

/// A part running as a child process.
pub struct Proc {
    part: &'static str,
    port: u16,
    /// Its internal metrics listener's port (`METRICS_PORT`).
    metrics_port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
    /// Where the process's logs go (JSON at `info`), with [`Proc::log_to`].
    log: Option<PathBuf>,
}

impl Proc {
    /// Prepares `part` on `port` (and metrics on a free port) with its
    /// environment and its test keys; not started yet.
    pub fn new(part: &'static str, port: u16, mut env: Vec<(String, String)>) -> Self {
        if part != "web" {
            env.extend(roundabout_support::testing::test_key_env(part));
        }
        Self {
            part,
            port,
            metrics_port: free_port(),
            env,
            child: None,
            log: None,
        }
    }

    /// Appends the process's logs, as JSON at `info` level, to `path`
    /// (otherwise only errors reach the test's own output).
    pub fn log_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.log = Some(path.into());
        self
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where its `/metrics` is served (not on [`Proc::url`]).
    pub fn metrics_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.metrics_port)
    }

    /// Starts the process and waits until it is ready.
    pub async fn start(&mut self) {
        let mut cmd = Command::new(EXE);
        cmd.args(["serve", self.part])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("HOST", "127.0.0.1")
            .env("PORT", self.port.to_string())
            .env("METRICS_PORT", self.metrics_port.to_string())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(path) = &self.log {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            cmd.env("RUST_LOG", "info").env("LOG_FORMAT", "json").stderr(file);
        }
        let child = cmd.spawn().unwrap();
        self.child = Some(child);
        let ready = format!("{}/readyz", self.url());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not become ready", self.part);
    }

    /// Sets (or, with `None`, removes) a variable for the next start.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.env.push((key.to_string(), v.to_string()));
        }
    }

    /// Sends SIGUSR1 (bookings: lets its paused saga go on, see `BOOKINGS_SAGA_PAUSE`).
    pub fn sigusr1(&self) {
        let pid = self.child.as_ref().expect("the process is running").id();
        let sent = Command::new("kill").args(["-USR1", &pid.to_string()]).status().unwrap();
        assert!(sent.success(), "kill -USR1 {pid} failed");
    }

    /// The running process's id.
    #[allow(dead_code, reason = "benches/capacity.rs calls it through ProcStack::pid")]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILLs the process (no graceful shutdown) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free port on 127.0.0.1 (see `roundabout_support::ports`).
pub fn free_port() -> u16 {
    roundabout_support::ports::free_port().unwrap()
}
