//! `roundabout up` as a supervisor: a part killed with SIGKILL is started
//! again while the rest keeps answering; a part that keeps dying ends `up`;
//! SIGTERM at any instant of start-up, running or shut-down leaves nothing
//! of it behind, and the next `up` finds its data.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::support::up::{data_dir, free_port, signal, Up, EXE};

/// What `up` wrote to `status.json`, and waiting on it.
trait Supervised {
    fn status(&self) -> Value;
    fn part(&self, name: &str) -> Value;
    fn wait_part_ready(&self, name: &str, restarts: u64, within: Duration) -> u32;
    fn kill_part(&self, name: &str) -> u32;
}

impl Supervised for Up {
    fn status(&self) -> Value {
        let raw = std::fs::read_to_string(self.dir.join("status.json")).unwrap();
        serde_json::from_str(&raw).unwrap()
    }

    fn part(&self, name: &str) -> Value {
        self.status()["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in status.json"))
    }

    /// Waits until `name` is ready with `restarts` restarts; returns its pid.
    fn wait_part_ready(&self, name: &str, restarts: u64, within: Duration) -> u32 {
        let deadline = Instant::now() + within;
        loop {
            let p = self.part(name);
            if p["state"] == "ready" && p["restarts"] == restarts {
                return p["pid"].as_u64().unwrap() as u32;
            }
            assert!(Instant::now() < deadline, "{name} not ready again in time: {p}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill_part(&self, name: &str) -> u32 {
        let pid = self.part(name)["pid"].as_u64().unwrap() as u32;
        signal("-KILL", pid);
        pid
    }
}

/// Processes started by the `up` with this pid (they carry its pid in
/// their environment), still alive.
fn children_of(up_pid: u32) -> Vec<String> {
    let marker = format!("ROUNDABOUT_SUPERVISOR_PID={up_pid}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) {
            // A zombie has no command line; only the living count.
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').and_then(|(_, a)| a.split_whitespace().next());
            if state != Some("Z") {
                let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                out.push(format!("{pid}: {}", cmd.replace('\0', " ")));
            }
        }
    }
    out
}

/// Nothing of an `up` is left: no child, no PostgreSQL, both ports free.
fn assert_nothing_left(up: &Up, pid: u32, when: &str) {
    // Children get SIGTERM from the kernel when `up` dies; give them the
    // moment a graceful stop takes.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut left = children_of(pid);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = children_of(pid);
    }
    assert!(left.is_empty(), "{when}: left running: {left:?}");
    assert!(
        !up.dir.join("pg/postmaster.pid").exists(),
        "{when}: PostgreSQL was left running"
    );
    for port in [up.port, up.web_port] {
        assert!(
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "{when}: port {port} still held"
        );
    }
}

async fn councils(port: u16) -> reqwest::Result<Value> {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&serde_json::json!({ "query": "{ councils { name } }" }))
        .timeout(Duration::from_secs(5))
        .send()
        .await?
        .json()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_part_is_started_again_while_the_rest_keeps_answering() {
    let dir = data_dir();
    let mut up = Up::start(&dir, free_port(), free_port(), false);
    tokio::task::block_in_place(|| up.wait_ready());
    let web = format!("http://127.0.0.1:{}/", up.web_port);

    // Inventory dies: the gateway and the web front end keep answering.
    let old = up.kill_part("inventory");
    assert_eq!(
        councils(up.port).await.unwrap()["data"]["councils"],
        serde_json::json!([])
    );
    assert!(reqwest::get(&web).await.unwrap().status().is_success());
    let new = tokio::task::block_in_place(|| up.wait_part_ready("inventory", 1, Duration::from_secs(20)));
    assert_ne!(new, old);
    let inventory = up.part("inventory")["url"].as_str().unwrap().to_string();
    assert!(reqwest::get(format!("{inventory}/readyz"))
        .await
        .unwrap()
        .status()
        .is_success());
    assert!(up.part("inventory")["last_exit"].as_str().unwrap().contains("SIGKILL"));

    // The gateway dies: it is serving again, on the same address, within seconds.
    let killed = Instant::now();
    up.kill_part("gateway");
    tokio::task::block_in_place(|| up.wait_part_ready("gateway", 1, Duration::from_secs(20)));
    assert!(councils(up.port).await.unwrap()["data"]["councils"].is_array());
    assert!(killed.elapsed() < Duration::from_secs(20));

    // `roundabout status` shows every part ready and what was restarted.
    let status = Command::new(EXE)
        .args(["status", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(status.status.success(), "{text}");
    assert!(text.contains("Roundabout is running"), "{text}");
    for line in text.lines().skip(2) {
        assert!(line.contains(" ready "), "{text}");
    }
    let inventory_line = text.lines().find(|l| l.starts_with("inventory")).unwrap();
    assert!(inventory_line.contains("SIGKILL"), "{text}");

    // A second `up` on the same data directory is refused while this one runs.
    let second = Command::new(EXE)
        .args([
            "up",
            "--port",
            &free_port().to_string(),
            "--web-port",
            &free_port().to_string(),
            "--data-dir",
        ])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already running with the data directory"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // Payments keeps dying: after five exits within a minute `up` gives up,
    // non-zero, and leaves nothing behind.
    let pid = up.child.id();
    for restarts in 0..4 {
        if restarts > 0 {
            tokio::task::block_in_place(|| up.wait_part_ready("payments", restarts, Duration::from_secs(30)));
        }
        up.kill_part("payments");
    }
    tokio::task::block_in_place(|| up.wait_part_ready("payments", 4, Duration::from_secs(30)));
    up.kill_part("payments");
    let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(!status.success(), "{status}");
    tokio::task::block_in_place(|| assert_nothing_left(&up, pid, "after giving up"));
    assert_eq!(up.part("payments")["state"], "failed");
    let after = Command::new(EXE)
        .args(["status", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!after.status.success());
    assert!(String::from_utf8_lossy(&after.stdout).contains("not running"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_at_any_instant_leaves_nothing_behind_and_the_next_up_finds_its_data() {
    let dir = data_dir();
    let (port, web_port) = (free_port(), free_port());
    // From before PostgreSQL starts, through migrations, children starting
    // and the demo being seeded.
    for ms in [0u64, 40, 150, 400, 900, 1500, 2500, 4000, 6500] {
        let mut up = Up::start(&dir, port, web_port, true);
        let pid = up.child.id();
        std::thread::sleep(Duration::from_millis(ms));
        signal("-TERM", pid);
        let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
        if ms >= 150 {
            assert!(status.success(), "SIGTERM after {ms} ms: {status}");
        }
        tokio::task::block_in_place(|| assert_nothing_left(&up, pid, &format!("SIGTERM after {ms} ms")));
    }

    // Running, then stopped: the same ports and data directory serve again
    // with the demo in place.
    let mut up = Up::start(&dir, port, web_port, true);
    tokio::task::block_in_place(|| up.wait_ready());
    let found = councils(port).await.unwrap();
    assert_eq!(found["data"]["councils"][0]["name"], "West Oxfordshire", "{found}");
    let pid = up.child.id();
    signal("-TERM", pid);
    // And a second SIGTERM while stopping changes nothing.
    std::thread::sleep(Duration::from_millis(100));
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let status = tokio::task::block_in_place(|| up.wait_exit(Duration::from_secs(60)));
    assert!(status.success(), "{status}");
    tokio::task::block_in_place(|| assert_nothing_left(&up, pid, "after running"));
    let _ = std::fs::remove_dir_all(&dir);
}
