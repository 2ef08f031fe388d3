//! A real SMTP server for tests: aiosmtpd (the pinned PyPI package that
//! `cargo xtask test` installs) with the handler in `smtp_sink.py`, which
//! writes each message it receives to a directory, decoded by Python's
//! email package.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::smtp::{SmtpConfig, SmtpTransport};

/// The sender the test transports send from.
pub const FROM: &str = "West Oxfordshire Council <noreply@westoxon.example>";

/// A command-line tool the test runner installed: `$ROUNDABOUT_TOOLS_BIN/<name>`.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("ROUNDABOUT_TOOLS_BIN").unwrap_or_else(|| {
        panic!("ROUNDABOUT_TOOLS_BIN is not set: run the tests with `cargo xtask test`, which installs aiosmtpd")
    });
    let path = PathBuf::from(dir).join(name);
    assert!(
        path.exists(),
        "{} is missing; `cargo xtask test` installs it",
        path.display()
    );
    path
}

/// aiosmtpd on a free 127.0.0.1 port (with the handler `smtp_sink.py` beside
/// this file), writing messages to a fresh
/// directory; stopped and the directory removed on drop.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start() -> Self {
        let port = roundabout_local::ports::free_port().unwrap();
        let dir = std::env::temp_dir().join(format!("roundabout-smtp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(tool("python"))
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "smtp_sink.Sink",
            ])
            .arg(&dir)
            .env("PYTHONPATH", concat!(env!("CARGO_MANIFEST_DIR"), "/src/testing"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { port, dir, child }
    }

    /// An SMTP transport to this server, from `from`.
    pub fn transport_from(&self, from: &str) -> SmtpTransport {
        SmtpTransport::new(&SmtpConfig::from_values(&self.url(), from).unwrap()).unwrap()
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn transport(&self) -> SmtpTransport {
        let config = SmtpConfig::from_values(&format!("smtp://127.0.0.1:{}", self.port), FROM).unwrap();
        SmtpTransport::new(&config).unwrap()
    }

    /// The `n`th message received (from 1), as the handler decoded it.
    pub fn message(&self, n: u32) -> Value {
        let path = self.dir.join(format!("{n}.json"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !path.exists() {
            assert!(Instant::now() < deadline, "message {n} was not received");
            std::thread::sleep(Duration::from_millis(20));
        }
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub fn received(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
            .count()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
