//! The supervisor inside `roundabout up`: it starts each part as a child
//! process, restarts one that dies (with back-off), gives up only when a
//! part keeps dying, and stops every child on every way out.
//!
//! - **Stop requests** are listened for from the first instant of `up`
//!   ([`StopSignal::install`]), so Ctrl-C or SIGTERM during start-up is a
//!   clean stop, never the default "terminate now" that would leave children
//!   behind.
//! - **Children cannot outlive `up`.** Each runs in its own process group
//!   (a terminal's Ctrl-C reaches `up` alone, which then stops them in
//!   order), and asks the kernel for SIGTERM when `up` dies, however it dies
//!   ([`follow_supervisor`], Linux).
//! - **Restarts.** A child that exits unexpectedly is started again after
//!   0.5 s, doubling to 8 s while it keeps failing; five exits within a
//!   minute and `up` stops everything and exits non-zero.
//! - **Status.** `<data dir>/status.json` holds each part's state, process
//!   id, restarts and last exit; `roundabout status` prints it.
//! - **Output.** Each child's lines go to its file under `<data dir>/logs/`;
//!   the terminal shows its warnings and errors only, unless `--verbose`
//!   ([`crate::logs`]).

use std::{
    collections::VecDeque,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::logs::PartLog;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::watch,
};

/// The variable through which a child learns its supervisor's process id.
pub const SUPERVISOR_PID: &str = "ROUNDABOUT_SUPERVISOR_PID";

/// Exits within this window that make `up` give up on a part.
pub const CRASH_WINDOW: Duration = Duration::from_secs(60);
/// How many exits within [`CRASH_WINDOW`] make `up` give up.
pub const MAX_CRASHES: usize = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How long a child has to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Ctrl-C or SIGTERM, listened for from the moment it is installed: once
/// either has arrived, [`requested`](Self::requested) is true for good and
/// [`wait`](Self::wait) returns at once.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// Registers the handlers now (the default action, which would end the
    /// process at once, no longer applies).
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            let _ = tx.send(true);
            // Later signals are absorbed while `up` stops its children.
            loop {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
        });
        Ok(Self(rx))
    }

    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once a stop has been asked for.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// In a child started by `up`: asks the kernel for SIGTERM when `up` dies,
/// and exits if `up` is already gone. Does nothing outside `up`.
pub fn follow_supervisor() -> anyhow::Result<()> {
    let Some(expected) = std::env::var(SUPERVISOR_PID).ok().and_then(|p| p.parse::<i32>().ok()) else {
        return Ok(());
    };
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getppid, set_parent_process_death_signal, Signal};
        set_parent_process_death_signal(Some(Signal::TERM)).context("asking for SIGTERM when `up` exits")?;
        // `up` may have died between starting us and the call above.
        if getppid().map(|p| p.as_raw_nonzero().get()) != Some(expected) {
            anyhow::bail!("its supervisor ({SUPERVISOR_PID}={expected}) has exited");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = expected;
    Ok(())
}

/// How to start one child.
#[derive(Clone)]
pub struct Spec {
    /// The part's name, or `<part>#<n>` for one of several replicas.
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Where it answers `/readyz`.
    pub url: String,
    /// Its internal metrics listener (none for the web front end).
    pub metrics_port: Option<u16>,
}

/// What a child is doing, as `roundabout status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Started, not yet answering `/readyz`.
    Starting,
    Ready,
    /// Exited; to be started again after a pause.
    Restarting,
    /// Stopped by `up`.
    Stopped,
    /// Kept exiting; `up` gave up.
    Failed,
}

/// One child's line of `status.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartStatus {
    pub name: String,
    pub state: State,
    pub pid: Option<u32>,
    pub url: String,
    pub restarts: u32,
    pub last_exit: Option<String>,
}

/// `status.json`: `up`'s own process id and each child's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub pid: u32,
    pub running: bool,
    pub parts: Vec<PartStatus>,
}

struct Proc {
    spec: Spec,
    log: PartLog,
    child: Option<Child>,
    state: State,
    restarts: u32,
    exits: VecDeque<Instant>,
    restart_at: Option<Instant>,
    last_exit: Option<String>,
}

/// A part that kept exiting.
#[derive(Debug)]
pub struct GaveUp {
    pub name: String,
    pub last_exit: String,
}

pub struct Supervisor {
    exe: PathBuf,
    logs: PathBuf,
    verbose: bool,
    procs: Vec<Proc>,
    status_path: PathBuf,
    written: Option<String>,
    http: reqwest::Client,
}

impl Supervisor {
    /// Children of `exe`, their logs under `data_dir`; `verbose` shows
    /// every line of theirs on the terminal too.
    pub fn new(exe: PathBuf, data_dir: &Path, verbose: bool) -> anyhow::Result<Self> {
        Ok(Self {
            exe,
            logs: crate::logs::dir(data_dir),
            verbose,
            procs: Vec::new(),
            status_path: data_dir.join("status.json"),
            written: None,
            http: reqwest::Client::builder().timeout(Duration::from_millis(500)).build()?,
        })
    }

    /// Starts a child and keeps it running from now on.
    pub fn start(&mut self, spec: Spec) -> anyhow::Result<()> {
        let log = PartLog::open(&self.logs, &spec.name, crate::logs::MAX_BYTES, self.verbose)
            .with_context(|| format!("opening the log of {} in {}", spec.name, self.logs.display()))?;
        let child = spawn(&self.exe, &spec, &log)?;
        self.procs.push(Proc {
            spec,
            log,
            child: Some(child),
            state: State::Starting,
            restarts: 0,
            exits: VecDeque::new(),
            restart_at: None,
            last_exit: None,
        });
        Ok(())
    }

    pub fn specs(&self) -> impl Iterator<Item = &Spec> {
        self.procs.iter().map(|p| &p.spec)
    }

    /// Notices children that exited and restarts those whose pause is
    /// over; `Err` when one has exited [`MAX_CRASHES`] times within
    /// [`CRASH_WINDOW`].
    pub fn check(&mut self, now: Instant) -> Result<(), GaveUp> {
        for p in &mut self.procs {
            let exited = p.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                p.child = None;
                let what = status.to_string();
                p.exits.push_back(now);
                while p.exits.front().is_some_and(|t| now.duration_since(*t) > CRASH_WINDOW) {
                    p.exits.pop_front();
                }
                p.last_exit = Some(what.clone());
                if p.exits.len() >= MAX_CRASHES {
                    p.state = State::Failed;
                    return Err(GaveUp {
                        name: p.spec.name.clone(),
                        last_exit: what,
                    });
                }
                let pause = backoff(p.exits.len());
                eprintln!(
                    "roundabout: {} stopped unexpectedly ({what}); starting it again in {:.1} s",
                    p.spec.name,
                    pause.as_secs_f64()
                );
                p.state = State::Restarting;
                p.restart_at = Some(now + pause);
            }
            if p.restart_at.is_some_and(|t| t <= now) {
                p.restart_at = None;
                match spawn(&self.exe, &p.spec, &p.log) {
                    Ok(child) => {
                        p.child = Some(child);
                        p.restarts += 1;
                        p.state = State::Starting;
                        eprintln!("roundabout: {} started again (restart {})", p.spec.name, p.restarts);
                    }
                    Err(e) => {
                        // Counted like an exit: a part that cannot start keeps failing.
                        eprintln!("roundabout: starting {} again failed: {e:#}", p.spec.name);
                        p.exits.push_back(now);
                        p.restart_at = Some(now + backoff(p.exits.len()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Asks each starting child's `/readyz`; returns whether all are ready.
    pub async fn poll_ready(&mut self) -> bool {
        for p in &mut self.procs {
            if p.state == State::Starting {
                let ready = self
                    .http
                    .get(format!("{}/readyz", p.spec.url))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ready {
                    p.state = State::Ready;
                }
            }
        }
        self.procs.iter().all(|p| p.state == State::Ready)
    }

    pub fn not_ready(&self) -> Vec<&str> {
        self.procs
            .iter()
            .filter(|p| p.state != State::Ready)
            .map(|p| p.spec.name.as_str())
            .collect()
    }

    pub fn status(&self, running: bool) -> Status {
        Status {
            pid: std::process::id(),
            running,
            parts: self
                .procs
                .iter()
                .map(|p| PartStatus {
                    name: p.spec.name.clone(),
                    state: p.state,
                    pid: p.child.as_ref().and_then(Child::id),
                    url: p.spec.url.clone(),
                    restarts: p.restarts,
                    last_exit: p.last_exit.clone(),
                })
                .collect(),
        }
    }

    /// Writes `status.json` when it has changed (atomically: a reader never
    /// sees half a file).
    pub fn write_status(&mut self, running: bool) {
        let Ok(json) = serde_json::to_string_pretty(&self.status(running)) else {
            return;
        };
        if self.written.as_deref() == Some(json.as_str()) {
            return;
        }
        let tmp = self.status_path.with_extension("json.tmp");
        if std::fs::write(&tmp, &json).is_ok() && std::fs::rename(&tmp, &self.status_path).is_ok() {
            self.written = Some(json);
        }
    }

    /// SIGTERM to every child's process group, then SIGKILL to any still
    /// running after the grace period; waits for all.
    pub async fn stop_all(&mut self) {
        for p in &mut self.procs {
            p.restart_at = None;
            if let Some(pid) = p.child.as_ref().and_then(Child::id) {
                signal_group(pid, false);
            }
        }
        for p in &mut self.procs {
            if let Some(child) = p.child.as_mut() {
                if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_err() {
                    if let Some(pid) = child.id() {
                        signal_group(pid, true);
                    }
                    let _ = child.kill().await;
                }
            }
            p.child = None;
            if p.state != State::Failed {
                p.state = State::Stopped;
            }
        }
        self.write_status(false);
    }
}

/// The pause before the `n`th restart within the window: 0.5 s doubling to 8 s.
pub fn backoff(n: usize) -> Duration {
    let shift = u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX).min(8);
    FIRST_BACKOFF.saturating_mul(1 << shift).min(MAX_BACKOFF)
}

fn signal_group(pid: u32, kill: bool) {
    use rustix::process::{kill_process_group, Pid, Signal};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let _ = kill_process_group(pid, if kill { Signal::KILL } else { Signal::TERM });
}

fn spawn(exe: &Path, spec: &Spec, log: &PartLog) -> anyhow::Result<Child> {
    let mut cmd = Command::new(exe);
    cmd.args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        // Each part names itself in its spans; one name for all would not do.
        .env_remove("OTEL_SERVICE_NAME")
        .env(SUPERVISOR_PID, std::process::id().to_string())
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().with_context(|| format!("starting {}", spec.name))?;
    follow_output(&mut child, log);
    Ok(child)
}

/// Hands each line of a child's output to its log.
fn follow_output(child: &mut Child, log: &PartLog) {
    fn follow(out: impl tokio::io::AsyncRead + Unpin + Send + 'static, log: PartLog) {
        tokio::spawn(async move {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                log.line(&l);
            }
        });
    }
    if let Some(out) = child.stdout.take() {
        follow(out, log.clone());
    }
    if let Some(err) = child.stderr.take() {
        follow(err, log.clone());
    }
}

/// `roundabout status`: each part's state as the `up` using `data_dir`
/// last wrote it; whether that `up` is still running.
pub fn print_status(data_dir: &Path) -> anyhow::Result<std::process::ExitCode> {
    let path = data_dir.join("status.json");
    let raw = match std::fs::read_to_string(&path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("Roundabout has not run with the data directory {}.", data_dir.display());
            return Ok(std::process::ExitCode::FAILURE);
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let status: Status = serde_json::from_str(&raw).with_context(|| format!("reading {}", path.display()))?;
    let alive = status.running && process_alive(status.pid);
    if alive {
        println!("Roundabout is running (process {}).", status.pid);
    } else {
        println!("Roundabout is not running.");
    }
    println!(
        "{:<14} {:<11} {:>8} {:>8}  last exit",
        "part", "state", "pid", "restarts"
    );
    for p in &status.parts {
        let state = match p.state {
            _ if alive => p.state,
            State::Failed => State::Failed,
            _ => State::Stopped,
        };
        println!(
            "{:<14} {:<11} {:>8} {:>8}  {}",
            p.name,
            state.word(),
            p.pid
                .filter(|_| alive)
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            p.restarts,
            p.last_exit.as_deref().unwrap_or("-")
        );
    }
    let healthy = alive && status.parts.iter().all(|p| p.state == State::Ready);
    Ok(if healthy {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Ready => "ready",
            State::Restarting => "restarting",
            State::Stopped => "stopped",
            State::Failed => "failed",
        }
    }
}

fn process_alive(pid: u32) -> bool {
    use rustix::process::{test_kill_process, Pid};
    i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .is_some_and(|pid| test_kill_process(pid).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_from_half_a_second_to_eight() {
        let secs: Vec<f64> = (1..=7).map(|n| backoff(n).as_secs_f64()).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]);
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(usize::MAX), MAX_BACKOFF);
    }
}
