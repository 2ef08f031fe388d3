//! `cargo xtask sqlx-prepare [--check]`: each crate's `.sqlx/` cache of its
//! compile-checked queries, written (or checked) against a fresh database
//! with that crate's migrations.

use std::{
    fs,
    path::Path,
    process::{Command, ExitCode},
};

use roundabout_local::pg_cluster;

use crate::{clean_stale, workspace_root};

/// The crates with compile-checked queries and the migrations of the
/// database each one's queries run against. `support`'s few queries (the
/// outbox relay, readiness) run on every service's database, and the
/// gateway's has no outbox, so they stay runtime-checked (see
/// docs/ARCHITECTURE.md, "The outbox").
const SQLX_CRATES: &[(&str, &str)] = &[
    ("services/inventory", "migrations/inventory"),
    ("services/eligibility", "migrations/eligibility"),
    ("services/bookings", "migrations/bookings"),
    ("services/payments", "migrations/payments"),
    ("graphql", "migrations/gateway"),
];

/// Runs `cargo sqlx prepare [--check]` in each of [`SQLX_CRATES`] against a
/// fresh database with that crate's migrations, on a private cluster (or the
/// server of `DATABASE_URL` when set). Needs `sqlx-cli` (`.ci/run` installs it).
pub fn prepare(extra: Vec<String>) -> ExitCode {
    let check = match extra.as_slice() {
        [] => false,
        [a] if a == "--check" => true,
        _ => {
            eprintln!("usage: cargo xtask sqlx-prepare [--check]");
            return ExitCode::from(2);
        }
    };
    let has_cli = Command::new("cargo")
        .args(["sqlx", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cli {
        eprintln!(
            "xtask: sqlx-cli is missing: cargo install sqlx-cli --version 0.8.6 --locked \\\n  --no-default-features --features postgres,rustls"
        );
        return ExitCode::FAILURE;
    }
    let tmp = std::env::temp_dir().join("roundabout-xtask");
    let _ = fs::create_dir_all(&tmp);
    clean_stale(&tmp);
    let mut cluster = None;
    let mut cluster_dir = None;
    let server = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let dir = tmp.join(format!("test-pg-{}", std::process::id()));
            match pg_cluster::PgCluster::start_with(&dir, "-c fsync=off") {
                Ok(c) => {
                    let url = c.url();
                    cluster = Some(c);
                    cluster_dir = Some(dir);
                    url
                }
                Err(e) => {
                    eprintln!("xtask: cannot start PostgreSQL:\n{e}");
                    let _ = fs::remove_dir_all(&dir);
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let root = workspace_root();
    let mut failed = Vec::new();
    for (krate, migrations) in SQLX_CRATES {
        let name = format!(
            "sqlx_{}_{}",
            krate.rsplit('/').next().unwrap_or(krate),
            std::process::id()
        );
        let url = with_database(&server, &name);
        let sqlx = |args: &[&str], dir: &Path| {
            Command::new("cargo")
                .arg("sqlx")
                .args(args)
                .current_dir(dir)
                .env("DATABASE_URL", &url)
                .env("SQLX_OFFLINE", "false")
                .status()
                .is_ok_and(|s| s.success())
        };
        let source = root.join(migrations);
        let source = source.to_string_lossy();
        let ok = sqlx(&["database", "create"], &root)
            && sqlx(&["migrate", "run", "--source", &source], &root)
            && if check {
                sqlx(&["prepare", "--check"], &root.join(krate))
            } else {
                sqlx(&["prepare"], &root.join(krate))
            };
        let _ = sqlx(&["database", "drop", "-y"], &root);
        if !ok {
            failed.push(*krate);
        }
    }
    drop(cluster);
    if let Some(dir) = cluster_dir {
        let _ = fs::remove_dir_all(dir);
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "xtask: {} for {}; run `cargo xtask sqlx-prepare` and commit the .sqlx/ folders",
            if check {
                "the query cache is not current"
            } else {
                "preparing failed"
            },
            failed.join(", ")
        );
        ExitCode::FAILURE
    }
}

/// The URL of database `name` on the server of `url`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    // After the authority (`postgres://user@host:port`), replace any path.
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_replaces_the_url_s_path_and_keeps_its_query() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres", "sqlx_a"),
            "postgres://u:p@127.0.0.1:5432/sqlx_a"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
    }
}
