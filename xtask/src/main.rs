//! `cargo xtask test [ARGS…]`: runs every test of the workspace.
//! `cargo xtask chaos [--minutes N] …`: the chaos run (benches/chaos.rs,
//! docs/RELIABILITY.md); a short one is also part of the test suite.
//! `cargo xtask sqlx-prepare [--check]`: writes (or checks) each crate's
//! `.sqlx/` cache of its compile-checked queries; see `src/sqlx.rs`.
//!
//! With `DATABASE_URL` unset it starts a private PostgreSQL cluster under the
//! build directory (fsync off: the data is thrown away), points the tests at
//! it, installs the Python test tools and the web front end's npm packages
//! (`npm ci` in `web/`), runs the tests with any extra arguments, then stops
//! and removes the cluster. Clusters left behind by an interrupted run are
//! cleaned up at the next one.
//!
//! The runner: `cargo nextest run --workspace` (each test in its own process,
//! settings in `.config/nextest.toml`) and then the doc tests
//! (`cargo test --workspace --doc`) when cargo-nextest is installed;
//! otherwise, or with `ROUNDABOUT_TEST_RUNNER=cargo`, or for benches and doc
//! tests alone (`--bench`, `--benches`, `--all-targets`, `--doc`),
//! `cargo test --workspace`. Arguments are those of `cargo test`; `--test
//! NAME` where NAME is a module of a package's one test binary
//! (`tests/it/NAME.rs`) rather than a test target runs that module.

#[cfg(test)]
mod layering;
mod sqlx;

use roundabout_local::{pg_cluster, web_assets};
use std::{
    fs,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, ExitCode, ExitStatus, Stdio},
};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => test(args.collect()),
        Some("sqlx-prepare") => sqlx::prepare(args.collect()),
        // The chaos run (benches/chaos.rs, in the test profile): it starts
        // its own `up` and cluster, and localstripe from the test tools.
        Some("chaos") => {
            let mut argv: Vec<String> = ["--bench", "chaos", "--"].map(String::from).to_vec();
            argv.extend(args);
            test(argv)
        }
        _ => {
            eprintln!("usage: cargo xtask test [cargo test arguments…]");
            eprintln!("       cargo xtask chaos [--minutes N] [--replicas N] [--kill-every SECS] [--pg-restarts N] [--workers N]");
            eprintln!("       cargo xtask sqlx-prepare [--check]");
            ExitCode::from(2)
        }
    }
}

/// Stops and removes clusters of earlier runs whose process is gone.
fn clean_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name.strip_prefix("test-pg-") else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let data = e.path().join("pg");
        if let Ok(bin) = pg_cluster::find_bin_dir() {
            let _ = Command::new(bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "stop"])
                .output();
            // As root the server runs as postgres; stop it that way too.
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "stop"])
                .output();
        }
        let _ = fs::remove_dir_all(e.path());
    }
}

/// Installs the pinned Python tools (`xtask/python-requirements.txt`) into a
/// virtual environment under the build directory, once per change of the
/// requirements; returns its `bin` folder.
fn ensure_python_tools() -> Result<PathBuf, String> {
    let root = workspace_root();
    let requirements = root.join("xtask/python-requirements.txt");
    let wanted = fs::read_to_string(&requirements).map_err(|e| format!("reading {}: {e}", requirements.display()))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let venv = target.join("tools/venv");
    let stamp = venv.join("requirements.installed");
    let bin = venv.join("bin");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or("no python3 found; install Python 3.9 or later")?;
    eprintln!("xtask: installing Python test tools into {}", venv.display());
    let ok = Command::new(python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err("python3 -m venv failed (Debian: apt-get install python3-venv)".into());
    }
    let ok = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err(format!("pip install -r {} failed", requirements.display()));
    }
    fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(bin)
}

fn test(extra: Vec<String>) -> ExitCode {
    // Under the system's temporary folder rather than the build directory:
    // run as root, the server runs as `postgres`, which may not be able to
    // reach a checkout under /root.
    let tmp = std::env::temp_dir().join("roundabout-xtask");
    let _ = fs::create_dir_all(&tmp);
    clean_stale(&tmp);

    let mut cluster = None;
    let mut cluster_dir = None;
    if std::env::var_os("DATABASE_URL").is_none() {
        let dir = tmp.join(format!("test-pg-{}", std::process::id()));
        let options = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        match pg_cluster::PgCluster::start_with(&dir, options) {
            Ok(c) => {
                eprintln!("xtask: private PostgreSQL on 127.0.0.1:{}", c.port());
                cluster = Some(c);
                cluster_dir = Some(dir);
            }
            Err(e) => {
                eprintln!("xtask: cannot start PostgreSQL for the tests:\n{e}");
                let _ = fs::remove_dir_all(&dir);
                return ExitCode::FAILURE;
            }
        }
    }

    let tools_bin = match ensure_python_tools() {
        Ok(bin) => bin,
        Err(e) => {
            eprintln!("xtask: cannot install the Python test tools: {e}");
            return ExitCode::FAILURE;
        }
    };

    // GOV.UK Frontend built into web/dist for the web front end, Playwright and axe-core for its browser tests.
    if let Err(e) = web_assets::ensure_assets(&workspace_root().join("web")) {
        eprintln!("xtask: cannot install the web front end's npm packages: {e}");
        return ExitCode::FAILURE;
    }

    let mut env = vec![("ROUNDABOUT_TOOLS_BIN".to_string(), tools_bin.into_os_string())];
    if let Some(c) = &cluster {
        env.push(("DATABASE_URL".to_string(), c.url().into()));
    }
    let status = run_tests(&extra, &env);
    drop(cluster);
    if let Some(dir) = cluster_dir {
        let _ = fs::remove_dir_all(dir);
    }
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask test`'s arguments, split the way the runners take them.
#[derive(Debug, Default, PartialEq)]
struct TestArgs {
    /// For cargo: packages, targets, features, profile, `--no-fail-fast`.
    cargo: Vec<String>,
    /// After `--`: name filters and the test harness's flags.
    harness: Vec<String>,
    /// `--test NAME` naming a module of a package's `it` binary, not a target.
    modules: Vec<String>,
}

impl TestArgs {
    fn parse(extra: &[String], is_module: impl Fn(&str) -> bool) -> Self {
        let (before, after) = match extra.iter().position(|a| a == "--") {
            Some(i) => (&extra[..i], &extra[i + 1..]),
            None => (extra, &[][..]),
        };
        let mut args = Self {
            harness: after.to_vec(),
            ..Self::default()
        };
        let mut it = before.iter();
        while let Some(a) = it.next() {
            let name = match a.strip_prefix("--test=") {
                Some(n) => Some(n.to_string()),
                None if a == "--test" => it.next().cloned(),
                None => None,
            };
            match name {
                Some(n) if is_module(&n) => args.modules.push(n),
                Some(n) => args.cargo.extend(["--test".to_string(), n]),
                None => args.cargo.push(a.clone()),
            }
        }
        if !args.modules.is_empty() {
            args.cargo.extend(["--test".to_string(), "it".to_string()]);
        }
        args
    }

    fn has(&self, flags: &[&str]) -> bool {
        self.cargo
            .iter()
            .any(|a| flags.iter().any(|f| a == f || a.starts_with(&format!("{f}="))))
    }

    /// Whether the caller picked packages (else: the whole workspace).
    fn picks_packages(&self) -> bool {
        self.has(&["-p", "--package", "--workspace"])
    }

    /// Whether the caller picked targets (then no separate doc-test run).
    fn picks_targets(&self) -> bool {
        self.has(&[
            "--lib",
            "--bin",
            "--bins",
            "--test",
            "--tests",
            "--bench",
            "--benches",
            "--example",
            "--examples",
            "--all-targets",
            "--doc",
        ])
    }

    /// Name filters after `--` (not the harness's flags and their values).
    fn filters(&self) -> Vec<&String> {
        let mut out = Vec::new();
        let mut it = self.harness.iter();
        while let Some(a) = it.next() {
            if a == "--skip" || a == "--test-threads" || a == "--format" || a == "--color" {
                it.next();
            } else if !a.starts_with('-') {
                out.push(a);
            }
        }
        out
    }

    /// `cargo nextest run` arguments: `--test-threads` moves before `--`;
    /// modules become a filterset, intersected with any name filters.
    fn nextest(&self) -> Vec<String> {
        let mut out = vec!["nextest".to_string(), "run".to_string()];
        if !self.picks_packages() {
            out.push("--workspace".into());
        }
        out.extend(self.cargo.iter().cloned());
        if !self.modules.is_empty() {
            let any = self
                .modules
                .iter()
                .map(|m| format!("test(/^{m}::/)"))
                .collect::<Vec<_>>()
                .join(" | ");
            out.extend(["-E".to_string(), format!("binary(it) & ({any})")]);
        }
        let mut rest = Vec::new();
        let mut it = self.harness.iter();
        while let Some(a) = it.next() {
            if a == "--test-threads" {
                out.push(a.clone());
                out.extend(it.next().cloned());
            } else if a.starts_with("--test-threads=") {
                out.push(a.clone());
            } else {
                rest.push(a.clone());
            }
        }
        if !rest.is_empty() {
            out.push("--".into());
            out.extend(rest);
        }
        out
    }

    /// `cargo test` arguments. libtest cannot intersect filters: modules
    /// become filters when no name filter was given; otherwise the name
    /// filters alone choose, in the modules' binaries.
    fn cargo_test(&self) -> Vec<String> {
        let mut out = vec!["test".to_string()];
        if !self.picks_packages() {
            out.push("--workspace".into());
        }
        out.extend(self.cargo.iter().cloned());
        let mut harness = self.harness.clone();
        if !self.modules.is_empty() && self.filters().is_empty() {
            harness.extend(self.modules.iter().map(|m| format!("{m}::")));
        }
        if !harness.is_empty() {
            out.push("--".into());
            out.extend(harness);
        }
        out
    }

    /// The doc tests after a whole nextest run (nextest does not run
    /// them): none when the caller narrowed the run (targets, name filters,
    /// filtersets); the caller's packages, features and profile carry over.
    fn doc_tests(&self) -> Option<Vec<String>> {
        let narrowed = self.picks_targets()
            || !self.filters().is_empty()
            || self.has(&["-E", "--filterset", "--filter-expr", "--run-ignored", "--partition"]);
        if narrowed {
            return None;
        }
        let mut out = vec!["test".to_string()];
        if !self.picks_packages() {
            out.push("--workspace".into());
        }
        const WITH_VALUE: [&str; 5] = ["-p", "--package", "--exclude", "--features", "-F"];
        const FLAGS: [&str; 7] = [
            "--workspace",
            "--all-features",
            "--no-default-features",
            "--release",
            "-r",
            "--locked",
            "--offline",
        ];
        let mut it = self.cargo.iter();
        while let Some(a) = it.next() {
            if WITH_VALUE.contains(&a.as_str()) {
                out.push(a.clone());
                out.extend(it.next().cloned());
            } else if FLAGS.contains(&a.as_str()) || WITH_VALUE.iter().any(|f| a.starts_with(&format!("{f}="))) {
                out.push(a.clone());
            }
        }
        out.push("--doc".into());
        Some(out)
    }
}

/// Whether `name` is a module of some package's one test binary
/// (`tests/it/NAME.rs`) and not a test target of its own.
fn is_it_module(root: &Path, name: &str) -> bool {
    if name.is_empty() || name.contains(['/', '.']) {
        return false;
    }
    let mut packages = vec![root.to_path_buf()];
    for dir in [root.to_path_buf(), root.join("services")] {
        if let Ok(entries) = fs::read_dir(dir) {
            packages.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("Cargo.toml").is_file()),
            );
        }
    }
    let tests = |p: &PathBuf| p.join("tests");
    let module = packages
        .iter()
        .any(|p| tests(p).join("it").join(format!("{name}.rs")).is_file());
    let target = packages
        .iter()
        .any(|p| tests(p).join(format!("{name}.rs")).is_file() || tests(p).join(name).join("main.rs").is_file());
    module && !target
}

/// Whether `cargo nextest` runs here.
fn have_nextest(cargo: &str) -> bool {
    Command::new(cargo)
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the tests with nextest and then the doc tests, or with `cargo test`;
/// ends with one summary line: `tests: N passed, N failed, N skipped`.
fn run_tests(extra: &[String], env: &[(String, std::ffi::OsString)]) -> std::io::Result<ExitStatus> {
    let root = workspace_root();
    let args = TestArgs::parse(extra, |n| is_it_module(&root, n));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let command = |argv: Vec<String>| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&root).args(argv);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd
    };
    let forced_cargo = std::env::var("ROUNDABOUT_TEST_RUNNER").is_ok_and(|r| r == "cargo");
    let benches_or_docs = args.has(&["--bench", "--benches", "--all-targets", "--doc"]);
    let mut counts = Counts::default();
    let status = if !forced_cargo && !benches_or_docs && have_nextest(&cargo) {
        let mut nextest = command(args.nextest());
        // In CI (`CI=true`), nextest's `ci` profile: every failure reported
        // and a hung test ended (`.config/nextest.toml`).
        if std::env::var_os("NEXTEST_PROFILE").is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
            nextest.env("NEXTEST_PROFILE", "ci");
        }
        let status = counts.run(nextest, Output::Stderr)?;
        match args.doc_tests() {
            Some(doc) if status.success() => counts.run(command(doc), Output::Stdout)?,
            _ => status,
        }
    } else {
        counts.run(command(args.cargo_test()), Output::Stdout)?
    };
    println!(
        "tests: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    Ok(status)
}

/// Which of a runner's outputs carries its results.
#[derive(Clone, Copy)]
enum Output {
    /// libtest's `test result: ok. N passed; N failed; N ignored; …`.
    Stdout,
    /// nextest's `Summary […] N tests run: N passed, N failed, N skipped`.
    Stderr,
}

#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Counts {
    /// Runs `cmd`, echoing its output, and adds up the results it reports.
    fn run(&mut self, mut cmd: Command, output: Output) -> std::io::Result<ExitStatus> {
        let mut child = match output {
            Output::Stdout => cmd.stdout(Stdio::piped()).spawn()?,
            Output::Stderr => cmd.stderr(Stdio::piped()).spawn()?,
        };
        let lines: Option<Box<dyn std::io::Read>> = match output {
            Output::Stdout => child.stdout.take().map(|o| Box::new(o) as Box<dyn std::io::Read>),
            Output::Stderr => child.stderr.take().map(|o| Box::new(o) as Box<dyn std::io::Read>),
        };
        if let Some(out) = lines {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                match output {
                    Output::Stdout => {
                        let _ = writeln!(std::io::stdout(), "{line}");
                        self.add_libtest(&line);
                    }
                    Output::Stderr => {
                        let _ = writeln!(std::io::stderr(), "{line}");
                        self.add_nextest(&line);
                    }
                }
            }
        }
        child.wait()
    }

    fn add_libtest(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let n: u64 = n.parse().unwrap_or(0);
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.skipped += n,
                _ => {}
            }
        }
    }

    fn add_nextest(&mut self, line: &str) {
        if !line.trim_start().starts_with("Summary") {
            return;
        }
        let Some((_, rest)) = line.split_once(" run: ") else {
            return;
        };
        for part in rest.split(',') {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let n: u64 = n.parse().unwrap_or(0);
            match what {
                "passed" => self.passed += n,
                "failed" | "timed" => self.failed += n,
                "skipped" => self.skipped += n,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn parse(s: &str) -> TestArgs {
        TestArgs::parse(&args(s), |n| ["journey", "webhooks"].contains(&n))
    }

    #[test]
    fn a_module_named_with_test_becomes_a_filterset_for_nextest_and_a_filter_for_cargo() {
        let a = parse("--test journey");
        assert_eq!(
            a.nextest(),
            args("nextest run --workspace --test it -E")
                .into_iter()
                .chain(["binary(it) & (test(/^journey::/))".to_string()])
                .collect::<Vec<_>>()
        );
        assert_eq!(a.cargo_test(), args("test --workspace --test it -- journey::"));
    }

    #[test]
    fn targets_packages_filters_and_harness_flags_pass_through() {
        let a = parse("-p roundabout-gateway --test gateway --no-fail-fast -- schema --test-threads 1 --nocapture");
        assert_eq!(
            a.nextest(),
            args("nextest run -p roundabout-gateway --test gateway --no-fail-fast --test-threads 1 -- schema --nocapture")
        );
        assert_eq!(
            a.cargo_test(),
            args("test -p roundabout-gateway --test gateway --no-fail-fast -- schema --test-threads 1 --nocapture")
        );
        assert!(a.picks_targets());
        assert_eq!(a.filters(), vec!["schema"]);
    }

    #[test]
    fn with_a_name_filter_cargo_test_runs_it_in_the_modules_binary() {
        let a = parse("--test=webhooks -- a_replayed_event");
        assert_eq!(a.cargo_test(), args("test --workspace --test it -- a_replayed_event"));
        assert_eq!(a.doc_tests(), None);
        assert_eq!(parse("").doc_tests(), Some(args("test --workspace --doc")));
        assert_eq!(
            parse("-p roundabout-web --release --no-fail-fast").doc_tests(),
            Some(args("test -p roundabout-web --release --doc"))
        );
        assert_eq!(parse("-E test(/^web_/)").doc_tests(), None);
    }

    #[test]
    fn nextest_and_libtest_summaries_are_counted() {
        let mut c = Counts::default();
        c.add_nextest("     Summary [  12.345s] 120 tests run: 117 passed (2 slow), 2 failed, 1 timed out, 4 skipped");
        c.add_libtest("test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        assert_eq!((c.passed, c.failed, c.skipped), (120, 3, 5));
    }
}
