//! `cargo xtask chaos [--minutes N] [--replicas N] [--kill-every SECS]
//! [--pg-restarts N] [--workers N]`: the chaos run at length
//! (docs/RELIABILITY.md, "Chaos"). Exits 1 when an invariant fails.

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code, reason = "the chaos run uses a part of the integration tests' helpers")]
mod support;

use std::time::Duration;

use support::chaos::{run, Options};

fn main() -> std::process::ExitCode {
    let mut opts = Options {
        duration: Duration::from_secs(600),
        ..Options::short()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let n: f64 = match value.parse() {
            Ok(n) if n > 0.0 => n,
            _ => {
                eprintln!("{flag} needs a positive number, got {value:?}");
                return std::process::ExitCode::from(2);
            }
        };
        match flag.as_str() {
            "--minutes" => opts.duration = Duration::from_secs_f64(n * 60.0),
            "--replicas" => opts.replicas = n as usize,
            "--kill-every" => opts.kill_every = Duration::from_secs_f64(n),
            "--pg-restarts" => opts.pg_restarts = n as usize,
            "--workers" => opts.workers = n as usize,
            _ => {
                eprintln!("unknown option {flag}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let report = rt.block_on(run(&opts));
    report.print();
    if report.passed() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
