//! `roundabout up` as a child process of a test: its own private
//! PostgreSQL cluster in a fresh data directory, its output — what a person
//! sees on the terminal, stdout and stderr — read line by line (up.rs,
//! up_supervisor.rs).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

pub const EXE: &str = env!("CARGO_BIN_EXE_roundabout");

pub fn free_port() -> u16 {
    roundabout_support::ports::free_port().unwrap()
}

/// A fresh data directory the `postgres` user can reach even when run as root.
pub fn data_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("roundabout-up-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Sends `sig` (`-TERM`, `-KILL`) to `pid`.
pub fn signal(sig: &str, pid: u32) {
    assert!(Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

pub struct Up {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub dir: PathBuf,
    pub port: u16,
    pub web_port: u16,
}

impl Up {
    /// `roundabout up [--demo]` on these ports and data directory, with no
    /// `DATABASE_URL` (its own cluster).
    pub fn start(dir: &Path, port: u16, web_port: u16, demo: bool) -> Up {
        Self::start_with(dir, port, web_port, demo, &[])
    }

    /// [`Up::start`] with more arguments (`--replicas 2`).
    pub fn start_with(dir: &Path, port: u16, web_port: u16, demo: bool, extra: &[&str]) -> Up {
        let mut cmd = Command::new(EXE);
        cmd.arg("up").args(extra);
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd
            .args([
                "--port",
                &port.to_string(),
                "--web-port",
                &web_port.to_string(),
                "--data-dir",
            ])
            .arg(dir)
            .env_remove("DATABASE_URL")
            .env_remove("BOOTSTRAP_ADMIN_EMAIL")
            .env_remove("BOOTSTRAP_ADMIN_PASSWORD")
            // As a newcomer runs it: the parts' lines go to their files.
            .env_remove("RUST_LOG")
            .env_remove("NO_COLOR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx2.send(l).is_err() {
                    break;
                }
            }
        });
        Up {
            child,
            lines,
            dir: dir.to_path_buf(),
            port,
            web_port,
        }
    }

    /// Waits for the "running" banner; returns everything printed so far.
    pub fn wait_ready(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(180);
        let mut seen = String::new();
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                seen.push_str(&l);
                seen.push('\n');
                if l.contains("Press Ctrl-C to stop") {
                    return seen;
                }
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("up exited early ({status}):\n{seen}");
            }
        }
        panic!("up was not ready in time:\n{seen}");
    }

    /// What `up` printed since the last call (or since [`Up::wait_ready`]
    /// returned), waiting up to `within` for a line containing `until`, if
    /// given.
    pub fn printed(&mut self, until: Option<&str>, within: Duration) -> String {
        let deadline = Instant::now() + within;
        let mut seen = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(l) => {
                    seen.push_str(&l);
                    seen.push('\n');
                    if until.is_some_and(|u| l.contains(u)) {
                        return seen;
                    }
                }
                Err(_) if until.is_none() || Instant::now() >= deadline => return seen,
                Err(_) => {}
            }
        }
    }

    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("up did not exit within {within:?}");
    }
}

/// A test that fails (panics) before stopping its `up` must not leave the
/// whole stack and its cluster running: SIGTERM, as Ctrl-C would, then
/// SIGKILL if it has not stopped within 30 s.
impl Drop for Up {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
