//! `cargo xtask test [ARGS…]`: runs every test of the workspace.
//!
//! With `DATABASE_URL` unset it starts a private PostgreSQL cluster under the
//! build directory (fsync off: the data is thrown away), points the tests at
//! it, installs the Python test tools and the web front end's npm packages
//! (`npm ci` in `web/`), runs `cargo test --workspace` with any extra arguments, then stops and
//! removes the cluster. Clusters left behind by an interrupted run are
//! cleaned up at the next one.

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
        _ => {
            eprintln!("usage: cargo xtask test [cargo test arguments…]");
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

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).arg("test");
    // Every package unless the caller picked some.
    if !extra
        .iter()
        .any(|a| a == "-p" || a == "--package" || a.starts_with("--package="))
    {
        cmd.arg("--workspace");
    }
    cmd.args(&extra).env("ROUNDABOUT_TOOLS_BIN", &tools_bin);
    if let Some(c) = &cluster {
        cmd.env("DATABASE_URL", c.url());
    }
    let status = run_counting(cmd);

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

/// Runs `cargo test`, echoing its output, and ends with one summary line of
/// every test binary's results: `tests: N passed, N failed, N skipped`.
fn run_counting(mut cmd: Command) -> std::io::Result<ExitStatus> {
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(out) = child.stdout.take() {
        let mut stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = writeln!(stdout, "{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                for part in rest.split(';') {
                    let mut words = part.split_whitespace().rev();
                    let (Some(what), Some(n)) = (words.next(), words.next()) else {
                        continue;
                    };
                    let n: u64 = n.parse().unwrap_or(0);
                    match what {
                        "passed" => passed += n,
                        "failed" => failed += n,
                        "ignored" => ignored += n,
                        _ => {}
                    }
                }
            }
        }
    }
    let status = child.wait()?;
    println!("tests: {passed} passed, {failed} failed, {ignored} skipped");
    Ok(status)
}
