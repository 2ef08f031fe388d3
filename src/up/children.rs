//! What `up` starts: each part and the web front end as a child process of
//! its own, or all of them as one (`--one-process`), with the ports,
//! databases, keys and addresses each is given.

use std::collections::{HashMap, HashSet};

use super::{replica_name, LocalSecrets, Options};
use crate::{
    supervise::{Spec, Supervisor},
    Part,
};

/// A free port not yet handed out by this `up`.
pub(super) fn distinct_port(taken: &mut HashSet<u16>) -> anyhow::Result<u16> {
    for _ in 0..50 {
        let port = roundabout_support::ports::free_port()?;
        if taken.insert(port) {
            return Ok(port);
        }
    }
    anyhow::bail!("found no free port")
}

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Starts the children: each part and the web front end as its own, or all
/// of them as one (`--one-process`). Answers what each part is, for the
/// banner, either way.
pub(super) fn start_children(
    sup: &mut Supervisor,
    opts: &Options,
    secrets: &LocalSecrets,
    server_url: &str,
    ports: &HashMap<Part, Vec<u16>>,
    taken: &mut HashSet<u16>,
) -> anyhow::Result<Vec<Spec>> {
    let specs = children(opts, secrets, server_url, ports, taken)?;
    if opts.one_process {
        sup.start(one_process(opts, &specs))?;
    } else {
        for spec in &specs {
            sup.start(spec.clone())?;
        }
    }
    Ok(specs)
}

/// The child running every part of `specs` (`roundabout serve all`): each
/// part's variables as `<PART>__<VAR>`, ready when the gateway is (every
/// part is bound before any serves).
fn one_process(opts: &Options, specs: &[Spec]) -> Spec {
    let mut env: Vec<(String, String)> = vec![("ROUNDABOUT_ENV".into(), "development".into())];
    for spec in specs {
        let prefix = spec.name.to_ascii_uppercase();
        env.extend(spec.env.iter().map(|(k, v)| (format!("{prefix}__{k}"), v.clone())));
    }
    Spec {
        name: "roundabout".into(),
        args: vec!["serve".into(), "all".into()],
        env,
        url: url(opts.port),
        metrics_port: None,
    }
}

/// Each part's and the web front end's child, as it would run alone.
fn children(
    opts: &Options,
    secrets: &LocalSecrets,
    server_url: &str,
    ports: &HashMap<Part, Vec<u16>>,
    taken: &mut HashSet<u16>,
) -> anyhow::Result<Vec<Spec>> {
    let mut specs = Vec::new();
    let env = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
    };
    // Each service's replicas, comma-separated: callers balance across them.
    let urls_of = |p: Part| ports[&p].iter().map(|port| url(*port)).collect::<Vec<_>>().join(",");
    let replicas = opts.replicas.max(1);
    for part in Part::ALL {
        let (signing_key, trusted_keys) = secrets.internal_env(part)?;
        for (i, port) in (0..replicas).zip(&ports[&part]) {
            let metrics_port = distinct_port(taken)?;
            specs.push(Spec {
                name: replica_name(part, i, replicas),
                args: vec!["serve".into(), part.name().into()],
                env: env(&[
                    ("HOST", "127.0.0.1".into()),
                    ("PORT", port.to_string()),
                    ("METRICS_PORT", metrics_port.to_string()),
                    (
                        "DATABASE_URL",
                        roundabout_support::db::database_url(server_url, &part.database()),
                    ),
                    // Its own private key alone, and every part's public key.
                    ("INTERNAL_SIGNING_KEY", signing_key.clone()),
                    ("INTERNAL_TRUSTED_KEYS", trusted_keys.clone()),
                    ("ROUNDABOUT_ENV", "development".into()),
                    ("INVENTORY_URL", urls_of(Part::Inventory)),
                    ("ELIGIBILITY_URL", urls_of(Part::Eligibility)),
                    ("BOOKINGS_URL", urls_of(Part::Bookings)),
                    ("PAYMENTS_URL", urls_of(Part::Payments)),
                    // Links handed out name the public address, not a replica's.
                    ("PUBLIC_URL", format!("http://localhost:{}", opts.port)),
                    // Messages tell people to sign in on the web front end.
                    ("NOTIFY_SITE_URL", format!("http://localhost:{}", opts.web_port)),
                    ("TOKEN_SIGNING_KEY", secrets.token_key.clone()),
                    ("BOOTSTRAP_ADMIN_EMAIL", secrets.admin_email.clone()),
                    ("BOOTSTRAP_ADMIN_PASSWORD", secrets.admin_password.clone()),
                    // GraphiQL's files, built beside the web front end's.
                    (
                        "GRAPHIQL_DIR",
                        roundabout_web::install::built_assets_dir()
                            .join("graphiql")
                            .display()
                            .to_string(),
                    ),
                ]),
                url: url(*port),
                metrics_port: Some(metrics_port),
            });
        }
    }
    let web_metrics_port = distinct_port(taken)?;
    specs.push(Spec {
        name: "web".into(),
        args: vec!["serve".into(), "web".into()],
        env: env(&[
            ("HOST", "127.0.0.1".into()),
            ("PORT", opts.web_port.to_string()),
            ("METRICS_PORT", web_metrics_port.to_string()),
            // The gateway, or the front over the gateways.
            ("GATEWAY_URL", url(opts.port)),
            ("WEB_SESSION_KEY", secrets.web_session_key.clone()),
            ("ROUNDABOUT_ENV", "development".into()),
        ]),
        url: url(opts.web_port),
        metrics_port: Some(web_metrics_port),
    });
    Ok(specs)
}
