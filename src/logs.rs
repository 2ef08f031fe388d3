//! Where the output of `up`'s children goes.
//!
//! Each part's lines are appended to `<data dir>/logs/<part>.log`
//! (`bookings-1.log` for the replica `bookings#1`); a file that passes
//! [`MAX_BYTES`] is renamed `<part>.log.1` (replacing the one before) and a
//! new one begun, so a part's logs never take more than twice that. The
//! terminal shows only what needs a person: a part's warnings and errors,
//! and any line that is not a log line at all (a panic, a fatal error
//! before logging started). With `--verbose` (or `RUST_LOG` set, which
//! says someone wants the lines) every line is shown too, prefixed with its
//! part.

use std::{
    fs::{File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

/// The size at which a part's log file is set aside and a new one begun.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The folder of the parts' logs in `data_dir`.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// A part's log file name: `gateway.log`, `bookings-1.log` for `bookings#1`.
pub fn file_name(part: &str) -> String {
    let safe: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}.log")
}

/// One part's log file, shared by the readers of its output (stdout and
/// stderr, and the processes of its restarts).
#[derive(Clone)]
pub struct PartLog {
    inner: Arc<Mutex<Sink>>,
    label: String,
    verbose: bool,
}

struct Sink {
    path: PathBuf,
    file: Option<File>,
    written: u64,
    max: u64,
}

impl PartLog {
    /// The log of `part` in `dir` (created if need be), rotated at `max`
    /// bytes; `verbose` shows every line on the terminal.
    pub fn open(dir: &Path, part: &str, max: u64, verbose: bool) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(file_name(part));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            inner: Arc::new(Mutex::new(Sink {
                path,
                file: Some(file),
                written,
                max,
            })),
            label: format!("[{part:<11}]"),
            verbose,
        })
    }

    /// Where the lines go.
    pub fn path(&self) -> PathBuf {
        self.inner.lock().map(|s| s.path.clone()).unwrap_or_default()
    }

    /// Takes one line of the part's output: into the file, and onto the
    /// terminal (stderr) when it is for a person.
    pub fn line(&self, line: &str) {
        if let Ok(mut sink) = self.inner.lock() {
            sink.write(line);
        }
        if self.verbose || for_the_terminal(line) {
            eprintln!("{} {line}", self.label);
        }
    }
}

impl Sink {
    fn write(&mut self, line: &str) {
        let len = line.len() as u64 + 1;
        if self.written > 0 && self.written + len > self.max {
            self.rotate();
        }
        if let Some(f) = self.file.as_mut() {
            if writeln!(f, "{line}").is_ok() {
                self.written += len;
            }
        }
    }

    /// `<part>.log` becomes `<part>.log.1`, and a new file is begun. A
    /// failure leaves the lines going where they went (a full disk is not a
    /// reason to stop a part).
    fn rotate(&mut self) {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        self.file = None;
        let _ = std::fs::rename(&self.path, &old);
        self.file = OpenOptions::new().create(true).append(true).open(&self.path).ok();
        self.written = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.len());
    }
}

/// The level of a log line as the parts write it: the compact text format
/// (`2025-01-31T10:00:00.123456Z  WARN target: …`) or JSON (`"level":"WARN"`).
pub fn level(line: &str) -> Option<&str> {
    let line = line.trim_start();
    if line.starts_with('{') {
        let at = line.find("\"level\":\"")? + 9;
        let rest = &line[at..];
        return Some(&rest[..rest.find('"')?]);
    }
    let mut words = line.split_whitespace();
    let stamp = words.next()?;
    if !(stamp.len() >= 20 && stamp.as_bytes()[0].is_ascii_digit() && stamp.contains('T')) {
        return None;
    }
    words
        .next()
        .filter(|w| matches!(*w, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR"))
}

/// Whether a person must see the line even without `--verbose`: a warning
/// or an error, or anything that is not a log line.
pub fn for_the_terminal(line: &str) -> bool {
    !matches!(level(line), Some("TRACE" | "DEBUG" | "INFO"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_warnings_errors_and_other_lines_reach_the_terminal() {
        let info = "2025-01-31T10:00:00.123456Z  INFO request{trace_id=4bf9}: roundabout_support::trace: request method=GET route=/graphql status=200 ms=1.2";
        let warn = "2025-01-31T10:00:00.123456Z  WARN roundabout_support::outbox: outbox delivery failed";
        let error = "2025-01-31T10:00:00.123456Z ERROR roundabout_gateway: the notifier stopped";
        assert_eq!(level(info), Some("INFO"));
        assert!(!for_the_terminal(info));
        assert!(!for_the_terminal(
            "2025-01-31T10:00:00.123456Z DEBUG sqlx::query: select 1"
        ));
        assert!(for_the_terminal(warn));
        assert!(for_the_terminal(error));
        assert!(!for_the_terminal(
            r#"{"timestamp":"2025-01-31T10:00:00Z","level":"INFO","message":"request"}"#
        ));
        assert!(for_the_terminal(
            r#"{"timestamp":"2025-01-31T10:00:00Z","level":"ERROR","message":"x"}"#
        ));
        // A panic, or a fatal error printed before logging began.
        assert!(for_the_terminal("thread 'main' panicked at src/main.rs:1:1:"));
        assert!(for_the_terminal(
            "roundabout: invalid configuration: PORT: expected a number"
        ));
        assert!(for_the_terminal(""));
    }

    #[test]
    fn replicas_have_files_of_their_own() {
        assert_eq!(file_name("gateway"), "gateway.log");
        assert_eq!(file_name("bookings#2"), "bookings-2.log");
        assert_eq!(file_name("../x"), "---x.log");
    }

    #[test]
    fn a_full_file_is_set_aside_and_a_new_one_begun() {
        let dir = std::env::temp_dir().join(format!("roundabout-logs-test-{}", uuid::Uuid::new_v4().simple()));
        let log = PartLog::open(&dir, "web", 100, false).unwrap();
        for i in 0..30 {
            log.line(&format!("2025-01-31T10:00:00.123456Z  INFO line {i:02}"));
        }
        let now = std::fs::read_to_string(dir.join("web.log")).unwrap();
        let before = std::fs::read_to_string(dir.join("web.log.1")).unwrap();
        assert!(now.len() <= 100 && before.len() <= 100, "{now:?} {before:?}");
        assert!(now.ends_with("line 29\n"), "{now:?}");
        assert!(!now.contains("line 00") && !before.contains("line 00"));
        // Opened again, it goes on from where it was.
        let again = PartLog::open(&dir, "web", 100, false).unwrap();
        again.line("next");
        assert!(std::fs::read_to_string(again.path())
            .unwrap()
            .ends_with("line 29\nnext\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
