//! The gateway as the ecosystem's tools see it: graphql-js's standard
//! introspection query (what GraphiQL, GraphQL Code Generator, Postman and
//! schemathesis send) and a client schema built from its answer, the two
//! response media types of GraphQL over HTTP with their status codes, and
//! graphql-http's conformance audit. The JavaScript runs with Node.js from
//! the npm packages `cargo xtask test` installs in `web/`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::*;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// Runs `node tools/<script> args…` in `web/`; its standard output, and
/// whether it succeeded.
fn node(script: &str, args: &[&str]) -> (bool, String) {
    let dir = web_dir();
    assert!(
        dir.join("node_modules/graphql-http").exists() && dir.join("node_modules/graphql").exists(),
        "npm packages missing: run the tests with `cargo xtask test`"
    );
    let out = Command::new("node")
        .arg(format!("tools/{script}"))
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        eprintln!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.success(), stdout)
}

/// graphql-js's `getIntrospectionQuery(options)`.
fn introspection_query(options: &str) -> String {
    let (ok, query) = node("introspection-query.mjs", &[options]);
    assert!(ok && query.contains("__schema"), "{query}");
    query
}

/// What graphql-js's `buildClientSchema` makes of an introspection answer.
fn client_schema(answer: &Value) -> Value {
    let file = std::env::temp_dir().join(format!("roundabout-introspection-{}.json", Uuid::new_v4()));
    std::fs::write(&file, answer.to_string()).unwrap();
    let (ok, out) = node("introspection-query.mjs", &["--check", file.to_str().unwrap()]);
    std::fs::remove_file(&file).unwrap();
    assert!(ok, "buildClientSchema refused the answer: {out}");
    serde_json::from_str(out.trim()).unwrap()
}

/// A POST with an `Accept` header (none when `accept` is empty): status,
/// content type and body.
async fn post_accepting(url: &str, accept: &str, token: Option<&str>, body: &str) -> (u16, String, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if !accept.is_empty() {
        req = req.header("accept", accept);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, content_type, body)
}

const NEWER: &str = "application/graphql-response+json";

#[tokio::test]
async fn the_standard_introspection_query_passes_limits_that_still_refuse_deep_ordinary_queries() {
    // Limits far tighter than the standard introspection query's depth (15).
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let gw = gateway(limits, Environment::Development).await;
    // graphql-js's defaults, and every option GraphiQL and the code
    // generators may turn on.
    for options in [
        "{}",
        r#"{"descriptions":true,"specifiedByUrl":true,"directiveIsRepeatable":true,"schemaDescription":true,"inputValueDeprecation":true}"#,
    ] {
        let query = introspection_query(options);
        let (status, v) = post(
            &gw.url,
            None,
            json!({"query": query, "operationName": "IntrospectionQuery"}),
        )
        .await;
        assert_eq!(status, 200, "{options}: {v}");
        assert!(v.get("errors").is_none(), "{options}: {v}");
        let schema = client_schema(&v);
        assert_eq!(schema["query"], "Query", "{schema}");
        assert_eq!(schema["mutation"], "Mutation", "{schema}");
        let fields: Vec<&str> = schema["queryFields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for field in ["offers", "councils", "me", "councilReport"] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        assert!(schema["types"].as_u64().unwrap() > 50, "{schema}");
    }

    // An ordinary query deeper than the limit is still refused…
    let (_, v) = post(
        &gw.url,
        None,
        json!({"query": "{ me { household { council { name } } } }"}),
    )
    .await;
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains("nested too deep"),
        "{v}"
    );
    // …and so is one that mixes introspection with the API's own fields.
    let (_, v) = post(
        &gw.url,
        None,
        json!({"query": "{ __schema { types { fields { type { name } } } } me { id } }"}),
    )
    .await;
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains("nested too deep"),
        "{v}"
    );
    // An introspection query whose lists multiply its answer is refused,
    // however it is written.
    for query in [
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        "{ __type(name: \"Query\") { ...A } } fragment A on __Type { fields { type { ...B } } } \
         fragment B on __Type { interfaces { ...C } } fragment C on __Type { possibleTypes { name } }",
    ] {
        let (status, v) = post(&gw.url, None, json!({ "query": query })).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(error_code(&v), "INTROSPECTION_TOO_DEEP", "{v}");
        assert!(v.get("data").is_none(), "{v}");
    }
    // Two lists deep is what graphql-js allows too.
    let (status, v) = post(
        &gw.url,
        None,
        json!({"query": "{ __type(name: \"Query\") { fields { type { fields { name } } } } }"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["data"]["__type"]["fields"].as_array().unwrap().len() > 10, "{v}");
}

#[tokio::test]
async fn the_newer_media_type_answers_request_errors_with_400_and_json_keeps_200() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let ok = r#"{"query": "{ __typename }"}"#;

    // Negotiation: the newer type when preferred, JSON otherwise.
    for (accept, expected) in [
        (NEWER, NEWER),
        ("application/graphql-response+json, application/json;q=0.9", NEWER),
        ("application/json", "application/json"),
        (
            "application/json, application/graphql-response+json;q=0.5",
            "application/json",
        ),
        ("*/*", "application/json"),
        ("", "application/json"),
        ("text/html", "application/json"),
    ] {
        let (status, content_type, v) = post_accepting(&gw.url, accept, None, ok).await;
        assert_eq!(status, 200, "{accept}");
        assert!(content_type.starts_with(expected), "{accept}: {content_type}");
        assert!(content_type.ends_with("charset=utf-8"), "{content_type}");
        assert_eq!(v, json!({"data": {"__typename": "Query"}}), "{accept}");
    }

    // Request errors: the document does not parse, does not validate, or its
    // variables do not fit. No `data` entry with either type.
    for (what, body) in [
        ("parse", r#"{"query": "{"}"#),
        ("validation", r#"{"query": "{ noSuchField }"}"#),
        ("variables", r#"{"query": "query($id: ID!) { __typename }"}"#),
    ] {
        let (status, _, v) = post_accepting(&gw.url, NEWER, None, body).await;
        assert_eq!(status, 400, "{what}: {v}");
        assert!(
            v.get("data").is_none() && v["errors"][0]["message"].is_string(),
            "{what}: {v}"
        );
        let (status, _, v) = post_accepting(&gw.url, "application/json", None, body).await;
        assert_eq!(status, 200, "{what}: {v}");
        assert!(
            v.get("data").is_none() && v["errors"][0]["message"].is_string(),
            "{what}: {v}"
        );
    }

    // Not a GraphQL request at all: 400 with either type.
    for (what, body) in [
        ("no query", r#"{"qeury": "{ __typename }"}"#),
        ("query not a string", r#"{"query": {"obj": "ect"}}"#),
        ("not JSON", r#"{ "not a JSON"#),
    ] {
        for accept in [NEWER, "application/json"] {
            let (status, _, v) = post_accepting(&gw.url, accept, None, body).await;
            assert_eq!(status, 400, "{what} ({accept}): {v}");
            assert_eq!(error_code(&v), "BAD_REQUEST", "{what}: {v}");
            assert!(v.get("data").is_none(), "{v}");
        }
    }

    // Execution began, then a field failed (no service is reachable): the
    // answer has `data` and is 200 with either type.
    let (status, _, v) = post_accepting(&gw.url, NEWER, None, r#"{"query": "{ councils { id } }"}"#).await;
    assert_eq!(status, 200, "{v}");
    assert!(v.get("data").is_some(), "{v}");
    assert!(!v["errors"][0]["path"].as_array().unwrap().is_empty(), "{v}");

    // A sign-in token that is not valid: 401 with the newer type (and how to
    // authenticate), 200 with JSON as before.
    let (status, _, v) = post_accepting(&gw.url, NEWER, Some("not-a-token"), ok).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    let res = reqwest::Client::new()
        .post(&gw.url)
        .header("content-type", "application/json")
        .header("accept", NEWER)
        .bearer_auth("not-a-token")
        .body(ok)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let (status, _, v) = post_accepting(&gw.url, "application/json", Some("not-a-token"), ok).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(error_code(&v), "UNAUTHENTICATED");

    // A batch is 200, each answer written on its own terms.
    let (status, _, v) = post_accepting(
        &gw.url,
        NEWER,
        None,
        r#"[{"query": "{ __typename }"}, {"query": "{ noSuchField }"}]"#,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v[0], json!({"data": {"__typename": "Query"}}));
    assert!(v[1].get("data").is_none() && v[1]["errors"].is_array(), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_http_audit_passes_without_failures_or_warnings() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let (ok, out) = tokio::task::block_in_place(|| node("graphql-http-audit.mjs", &[&gw.url]));
    let summary: Value = serde_json::from_str(out.lines().last().unwrap_or("{}")).unwrap_or(Value::Null);
    assert!(ok, "the audit found problems:\n{out}");
    assert_eq!(summary["error"], 0, "{out}");
    assert_eq!(summary["warn"], 0, "{out}");
    // Every audit ran: graphql-http 1.23 has 61 of them.
    assert!(summary["ok"].as_u64().unwrap() >= 61, "{out}");
}
