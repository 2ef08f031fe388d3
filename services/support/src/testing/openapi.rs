//! Checks of a service's OpenAPI document against the code and against the
//! service running: the committed copy is what the code generates, the
//! document lists exactly the routes the router serves (and which of them
//! need the caller token), and `schemathesis` finds no server error or
//! answer outside the document ([`schemathesis`]).

use std::{collections::BTreeSet, path::PathBuf};

use serde_json::Value;

/// `docs/openapi/<service>.json`.
pub fn committed_path(service: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/openapi")
        .join(format!("{service}.json"))
}

/// The document as committed: pretty JSON with a final newline.
pub fn to_text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a document is JSON");
    text.push('\n');
    text
}

/// Panics unless `docs/openapi/<service>.json` is `document`; with
/// `UPDATE_OPENAPI=1` writes it instead.
pub fn check_committed(service: &str, document: &Value) {
    let path = committed_path(service);
    let text = to_text(document);
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is not what the code generates; regenerate it with \
         `UPDATE_OPENAPI=1 cargo xtask test -E 'test(/openapi::/)'` and commit it",
        path.display()
    );
}

/// Panics unless the service at `url` answers `/openapi.json` with 401 to a
/// request without a caller token and with `document` to the gateway's.
pub async fn check_served_to_signed_callers(url: &str, audience: &str, document: &Value) {
    let http = reqwest::Client::new();
    let url = format!("{url}/openapi.json");
    let anonymous = http.get(&url).send().await.expect("the service answers");
    assert_eq!(anonymous.status(), 401, "{url} without a caller token");
    let token = super::caller_token(audience, &crate::internal_auth::Caller::service("gateway"));
    let signed = http
        .get(&url)
        .header(crate::internal_auth::CALLER_HEADER, token)
        .send()
        .await
        .expect("the service answers");
    assert_eq!(signed.status(), 200, "{url} with the gateway's token");
    assert_eq!(&signed.json::<Value>().await.expect("JSON"), document);
}

/// One route: (method in upper case, path template, needs the caller token).
pub type Route = (String, String, bool);

/// Every operation of `document` with whether its security asks for the
/// caller token.
pub fn documented_routes(document: &Value) -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let internal = op["security"].as_array().is_some_and(|s| !s.is_empty());
            out.insert((method.to_uppercase(), path.clone(), internal));
        }
    }
    out
}

/// Methods probed on each path.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// What the service at `url` (audience `audience`) serves among every
/// route template of the contract (`roundabout_api::routes`, every
/// service's), probed with each method. First with an anonymous visitor's
/// token, every parameter a nil UUID and a body no route takes (`[]`), so
/// that no handler finds or changes anything: the router's fallback (`404`
/// "No such route") or a `405` means not served. Then each route served
/// without a token: `401` means it needs one.
pub async fn served_routes(url: &str, audience: &str) -> BTreeSet<Route> {
    use roundabout_api::routes;
    let http = reqwest::Client::new();
    let token = super::caller_token(audience, &crate::internal_auth::Caller::anonymous());
    let mut templates: BTreeSet<&str> = BTreeSet::new();
    for all in [
        routes::common::ALL,
        routes::events::ALL,
        routes::inventory::ALL,
        routes::eligibility::ALL,
        routes::bookings::ALL,
        routes::payments::ALL,
    ] {
        templates.extend(all.iter().map(|(t, _)| *t));
    }
    let probe = |method: &str, path: &str, token: Option<&str>| {
        let mut req = http
            .request(method.parse().expect("a method"), format!("{url}{path}"))
            .header("content-type", "application/json")
            .body("[]");
        if let Some(t) = token {
            req = req.header(crate::internal_auth::CALLER_HEADER, t);
        }
        let what = format!("{method} {path}");
        async move {
            let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let mut out = BTreeSet::new();
    for template in templates {
        let path = fill_with_nil(template);
        for method in METHODS {
            let (status, body) = probe(method, &path, Some(&token)).await;
            let unrouted = (status == 404 && body["error"]["message"] == "No such route") || status == 405;
            if !unrouted {
                let (status, _) = probe(method, &path, None).await;
                out.insert((method.to_string(), template.to_string(), status == 401));
            }
        }
    }
    out
}

/// The template with every parameter a nil UUID (matched by the router
/// whatever the handler would make of it).
fn fill_with_nil(template: &str) -> String {
    template
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                "00000000-0000-0000-0000-000000000000"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Panics unless the service at `url` (audience `audience`) serves exactly the routes `document`
/// lists, each behind the caller token exactly when the document says so.
pub async fn check_routes(url: &str, audience: &str, document: &Value) {
    let served = served_routes(url, audience).await;
    let documented = documented_routes(document);
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "the router and the document differ (method, path, needs the caller token):\n\
         served but not so documented: {undocumented:#?}\ndocumented but not so served: {unserved:#?}"
    );
}

/// Gives each path parameter an `example` from `example(path, name)`, so
/// that schemathesis' examples and coverage phases reach records the test
/// seeded (its fuzzing still draws any value the schema allows).
pub fn with_examples(document: &Value, example: impl Fn(&str, &str) -> Option<String>) -> Value {
    let mut doc = document.clone();
    for (path, item) in doc["paths"].as_object_mut().into_iter().flatten() {
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if p["in"] == "path" {
                    if let Some(v) = example(path, p["name"].as_str().unwrap_or_default()) {
                        p["example"] = Value::String(v);
                    }
                }
            }
        }
    }
    doc
}

pub mod schemathesis {
    //! Runs `schemathesis` (installed by `cargo xtask test` from
    //! `xtask/python-requirements.txt`) against a running service, with a
    //! valid caller token on every request.
    //!
    //! Tokens live 60 seconds and a run lasts longer, so the test writes a
    //! fresh one to a file every few seconds and a schemathesis auth hook
    //! (`schemathesis_auth.py`) reads it at most 5 seconds before use.

    use std::{path::PathBuf, process::Stdio, time::Duration};

    use serde_json::Value;

    use crate::internal_auth::{Caller, CALLER_HEADER};

    /// The auth hook schemathesis loads (`SCHEMATHESIS_HOOKS`).
    const HOOK: &str = include_str!("schemathesis_auth.py");

    /// What a run found.
    pub struct Outcome {
        /// Whether every check passed.
        pub passed: bool,
        /// schemathesis' report, standard output then standard error.
        pub output: String,
    }

    /// A run against the service at `url` (audience `audience`) as
    /// `caller`, of `document` (a service's document, maybe with examples).
    pub struct Run<'a> {
        pub url: &'a str,
        pub audience: &'static str,
        pub caller: Caller,
        pub document: &'a Value,
        /// Test cases per operation and phase.
        pub max_examples: u32,
    }

    /// Every check schemathesis has — no server error, every answer's
    /// status, content type, headers and body as documented, invalid input
    /// refused, the caller token not ignored, undocumented methods refused —
    /// but `positive_data_acceptance`: a request the schemas allow may still
    /// be refused 422 by a rule they do not express (a word not in the
    /// vocabulary, a radius over 100 km, a control character).
    const CHECKS: [&str; 4] = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"];

    impl Run<'_> {
        /// Runs schemathesis to the end, prints its report and panics
        /// unless every check passed.
        pub async fn assert_passes(self) {
            let outcome = self.run().await;
            eprintln!("{}", outcome.output);
            assert!(outcome.passed, "schemathesis found problems (above)");
        }

        /// Runs schemathesis to the end.
        pub async fn run(self) -> Outcome {
            let dir = std::env::temp_dir().join(format!("roundabout-schemathesis-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).expect("a temporary folder");
            let schema = dir.join("openapi.json");
            std::fs::write(&schema, serde_json::to_vec(self.document).expect("JSON")).expect("write the schema");
            let hook = dir.join("schemathesis_auth.py");
            std::fs::write(&hook, HOOK).expect("write the hook");
            let token_file = dir.join("token");
            let refresher = refresh_tokens(token_file.clone(), self.audience, self.caller.clone());
            let mut command = tokio::process::Command::new(super::super::tool("schemathesis"));
            command
                .arg("run")
                .arg(&schema)
                .args(["--url", self.url])
                .args(CHECKS)
                .args(["--max-examples", &self.max_examples.to_string()])
                .args(["--seed", "1"])
                .args(["--workers", "1"])
                .args(["--request-timeout", "30"])
                .args(["--suppress-health-check", "all"])
                .arg("--no-color")
                .env("SCHEMATHESIS_HOOKS", &hook)
                .env("ROUNDABOUT_CALLER_TOKEN_FILE", &token_file)
                .env("ROUNDABOUT_CALLER_HEADER", CALLER_HEADER)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .current_dir(&dir)
                .stdin(Stdio::null())
                .kill_on_drop(true);
            let output = command.output().await.expect("schemathesis runs");
            refresher.abort();
            let _ = std::fs::remove_dir_all(&dir);
            Outcome {
                passed: output.status.success(),
                output: format!(
                    "{}\n{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            }
        }
    }

    /// Writes a token for `caller` to `path` now and every 5 seconds.
    fn refresh_tokens(path: PathBuf, audience: &'static str, caller: Caller) -> tokio::task::JoinHandle<()> {
        let auth = crate::testing::test_client_auth();
        let write = move |path: &PathBuf| {
            let token = auth.sign(audience, &caller);
            let tmp = path.with_extension("new");
            std::fs::write(&tmp, token).expect("write the token");
            std::fs::rename(&tmp, path).expect("replace the token");
        };
        write(&path);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                write(&path);
            }
        })
    }
}
