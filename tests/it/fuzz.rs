//! Fuzzing the public API with the whole marketplace running: thousands of
//! generated GraphQL requests — well-typed documents built from the
//! committed schema with hostile values, documents broken on purpose, and
//! raw garbage — sent anonymously and as each kind of user.
//!
//! Asserted for every request: no 5xx, no internal detail (SQL, panics,
//! stack traces) in the answer. Asserted at the end: every part still
//! answers, and no business table of any database changed (mutations are
//! always generated with a flaw that must refuse them whole; reads may
//! write their audit rows, which are left out of the count).
//!
//! `FUZZ_CASES` sets the number of requests (default 10,000), `FUZZ_SEED`
//! replays a run (the seed is printed).

use crate::support;
use std::{collections::BTreeMap, sync::Arc};

use crate::support::{Stack, PASSWORD};
use async_graphql::parser::{
    parse_schema,
    types::{BaseType, Type, TypeKind, TypeSystemDefinition},
};
use futures::StreamExt;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Value};

/// One field of an object type: its arguments and what it returns.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    args: Vec<(String, Type)>,
    ty: Type,
}

/// The schema as far as generating documents needs it.
#[derive(Debug, Default)]
struct Model {
    objects: BTreeMap<String, Vec<Field>>,
    inputs: BTreeMap<String, Vec<(String, Type)>>,
    enums: BTreeMap<String, Vec<String>>,
    /// Ids of things that exist (the council, the household), so that
    /// some generated reads reach past "not found".
    ids: Vec<String>,
}

impl Model {
    fn load() -> Self {
        let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/graphql/schema.graphql")).unwrap();
        let doc = parse_schema(sdl).unwrap();
        let mut m = Model::default();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else { continue };
            let name = t.node.name.node.to_string();
            match t.node.kind {
                TypeKind::Object(o) => {
                    let fields = o
                        .fields
                        .into_iter()
                        .map(|f| Field {
                            name: f.node.name.node.to_string(),
                            args: f
                                .node
                                .arguments
                                .into_iter()
                                .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                                .collect(),
                            ty: f.node.ty.node,
                        })
                        .collect();
                    m.objects.insert(name, fields);
                }
                TypeKind::InputObject(i) => {
                    let fields = i
                        .fields
                        .into_iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node))
                        .collect();
                    m.inputs.insert(name, fields);
                }
                TypeKind::Enum(e) => {
                    let values = e.values.into_iter().map(|v| v.node.value.node.to_string()).collect();
                    m.enums.insert(name, values);
                }
                _ => {}
            }
        }
        m
    }
}

fn base_name(t: &Type) -> &str {
    match &t.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => base_name(inner),
    }
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "OX",
    "OX28 6AB",
    "ox286ab",
    "AAA1 1AA",
    "SW1A1AA",
    "'; drop table users; --",
    "\" or 1=1 --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "../../../etc/passwd",
    "%00%0d%0a",
    "\u{202e}evil\u{202c}",
    "🚗🚲",
    "ÆØÅ ñ ü",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-13-45T99:99:99Z",
    "2027-01-01T10:00:00Z",
    "00000000-0000-0000-0000-000000000000",
    "null",
    "NaN",
    "-1",
    "1e309",
    "a@b.c",
    "admin@roundabout.test",
];

/// A hostile string, sometimes long.
fn string(rng: &mut StdRng) -> String {
    match rng.gen_range(0..10) {
        0 => "x".repeat(rng.gen_range(1..20_000)),
        1 => uuid::Uuid::new_v4().to_string(),
        2 => (0..rng.gen_range(0..40))
            .map(|_| char::from_u32(rng.gen_range(0x20..0x3000)).unwrap_or('?'))
            .collect(),
        _ => STRINGS.choose(rng).unwrap().to_string(),
    }
}

/// Any JSON value, up to `depth` deep.
fn json_value(rng: &mut StdRng, depth: usize) -> Value {
    match rng.gen_range(0..if depth == 0 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => [json!(0), json!(-1), json!(i64::MAX), json!(1e300), json!(0.5)]
            .choose(rng)
            .unwrap()
            .clone(),
        3 => json!(string(rng)),
        4 => Value::Array((0..rng.gen_range(0..4)).map(|_| json_value(rng, depth - 1)).collect()),
        5 => {
            // JSON Logic-looking objects and GeoJSON-looking ones.
            let key = [
                "var",
                "and",
                "or",
                "<",
                "==",
                "in",
                "type",
                "coordinates",
                "if",
                "!",
                "map",
            ]
            .choose(rng)
            .unwrap();
            json!({ *key: json_value(rng, depth - 1) })
        }
        _ => {
            let n = rng.gen_range(0..4);
            Value::Object((0..n).map(|_| (string(rng), json_value(rng, depth - 1))).collect())
        }
    }
}

/// A GraphQL literal for a value of type `ty`.
fn literal(m: &Model, rng: &mut StdRng, ty: &Type, depth: usize) -> String {
    if ty.nullable && rng.gen_ratio(1, 8) {
        return "null".into();
    }
    if let BaseType::List(inner) = &ty.base {
        let n = if depth == 0 { 0 } else { rng.gen_range(0..3) };
        let items: Vec<String> = (0..n)
            .map(|_| literal(m, rng, inner, depth.saturating_sub(1)))
            .collect();
        return format!("[{}]", items.join(", "));
    }
    let name = base_name(ty);
    match name {
        "ID" if !m.ids.is_empty() && rng.gen_bool(0.6) => serde_json::to_string(m.ids.choose(rng).unwrap()).unwrap(),
        "DateTime" if rng.gen_bool(0.7) => {
            let at = [
                "2027-01-04T09:00:00Z",
                "2027-01-04T19:00:00Z",
                "2026-12-31T23:30:00+00:00",
                "9999-12-31T00:00:00Z",
                "1970-01-01T00:00:00Z",
                "2027-03-28T01:30:00Z",
            ];
            serde_json::to_string(at.choose(rng).unwrap()).unwrap()
        }
        "String" | "ID" | "DateTime" => serde_json::to_string(&string(rng)).unwrap(),
        "Int" => ["0", "-1", "1", "2147483647", "-2147483648", "100", "7"]
            .choose(rng)
            .unwrap()
            .to_string(),
        "Float" => ["0", "-1.5", "51.78", "-1.48", "1e300", "-1e300"]
            .choose(rng)
            .unwrap()
            .to_string(),
        "Boolean" => rng.gen::<bool>().to_string(),
        "JSON" | "GeoJSON" => graphql_of_json(&json_value(rng, depth.min(6))),
        _ if m.enums.contains_key(name) => m.enums[name].choose(rng).unwrap().clone(),
        _ if m.inputs.contains_key(name) => {
            let mut fields = Vec::new();
            for (f, t) in &m.inputs[name] {
                if !t.nullable || rng.gen_bool(0.6) {
                    fields.push(format!("{f}: {}", literal(m, rng, t, depth.saturating_sub(1))));
                }
            }
            format!("{{{}}}", fields.join(", "))
        }
        _ => "null".into(),
    }
}

/// A JSON value written as a GraphQL literal.
fn graphql_of_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .filter(|(k, _)| {
                    k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && k.chars().all(|c| c.is_ascii_alphanumeric())
                })
                .map(|(k, v)| format!("{k}: {}", graphql_of_json(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(graphql_of_json).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// A selection set for object type `name`, up to `depth` deep.
fn selection(m: &Model, rng: &mut StdRng, name: &str, depth: usize) -> String {
    let Some(fields) = m.objects.get(name) else {
        return String::new();
    };
    let mut out = vec!["__typename".to_string()];
    for _ in 0..rng.gen_range(1..4) {
        let f = fields.choose(rng).unwrap();
        let target = base_name(&f.ty);
        let is_object = m.objects.contains_key(target);
        if is_object && depth == 0 {
            continue;
        }
        let args = arguments(m, rng, &f.args);
        let sub = if is_object {
            format!(" {{ {} }}", selection(m, rng, target, depth - 1))
        } else {
            String::new()
        };
        out.push(format!("a{}: {}{args}{sub}", rng.gen_range(0..1000), f.name));
    }
    out.join(" ")
}

fn arguments(m: &Model, rng: &mut StdRng, args: &[(String, Type)]) -> String {
    let mut given = Vec::new();
    for (a, t) in args {
        if !t.nullable || rng.gen_bool(0.5) {
            given.push(format!("{a}: {}", literal(m, rng, t, 3)));
        }
    }
    if given.is_empty() {
        String::new()
    } else {
        format!("({})", given.join(", "))
    }
}

/// How a generated request is sent.
#[derive(Debug)]
enum Send {
    Json(Value),
    Raw(String, &'static str),
    Get(String),
}

/// A read with hostile argument values (valid or not).
fn query(m: &Model, rng: &mut StdRng) -> Send {
    Send::Json(json!({"query": format!("{{ {} }}", selection(m, rng, "Query", 3))}))
}

/// A mutation with one flaw that must refuse it whole before it runs.
fn flawed_mutation(m: &Model, rng: &mut StdRng) -> Send {
    let body = selection(m, rng, "Mutation", 2);
    let doc = match rng.gen_range(0..4) {
        // A control character in a variable.
        0 => {
            let poison = ["\u{0}", "\u{7}", "\u{1b}[2J", "\u{8}"].choose(rng).unwrap();
            return Send::Json(json!({
                "query": format!("mutation($p: String) {{ {body} }}"),
                "variables": {"p": format!("{}{poison}", string(rng))}
            }));
        }
        // A variable declared and never used (a validation error).
        1 => format!("mutation($unused: Int) {{ {body} }}"),
        // A fragment on a type that does not exist. (A wrong literal type
        // is no flaw here: the executor refuses that field alone.)
        2 => format!("mutation {{ {body} ...X }} fragment X on NoSuchType {{ id }}"),
        // A field that does not exist.
        _ => format!("mutation {{ {body} noSuchField }}"),
    };
    Send::Json(json!({ "query": doc }))
}

/// Broken or hostile text: truncated documents, deep nesting, many
/// aliases, fragment cycles, bytes that are not GraphQL at all.
fn garbage(m: &Model, rng: &mut StdRng) -> Send {
    let good = format!("{{ {} }}", selection(m, rng, "Query", 2));
    match rng.gen_range(0..10) {
        0 => {
            let cut = rng.gen_range(0..good.len().max(1));
            Send::Json(json!({ "query": good.get(..cut).unwrap_or("") }))
        }
        1 => {
            let n = rng.gen_range(40..3000);
            let open = ["[", "{a:", "(", "{"].choose(rng).unwrap();
            Send::Json(json!({ "query": format!("{{ councils(x: {}) }}", open.repeat(n)) }))
        }
        2 => {
            let aliases: String = (0..rng.gen_range(20..200))
                .map(|i| format!("f{i}: me {{ id }} "))
                .collect();
            Send::Json(json!({ "query": format!("{{ ...A ...A }} fragment A on Query {{ {aliases} }}") }))
        }
        3 => Send::Json(json!({ "query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" })),
        4 => {
            let bytes: Vec<u8> = (0..rng.gen_range(0..500)).map(|_| rng.gen()).collect();
            Send::Raw(String::from_utf8_lossy(&bytes).into_owned(), "application/json")
        }
        5 => Send::Raw(
            good,
            ["text/plain", "application/graphql", "multipart/form-data"]
                .choose(rng)
                .unwrap(),
        ),
        6 => Send::Get(format!(
            "query={}&variables=%7B%22a%22%3A",
            good.replace(' ', "%20").replace('{', "%7B").replace('}', "%7D")
        )),
        7 => Send::Json(json!({ "query": good, "variables": json_value(rng, 8), "operationName": string(rng) })),
        8 => Send::Json(json!([{ "query": good }, { "query": "{ __schema { types { name } } }" }, json_value(rng, 3)])),
        _ => Send::Json(json_value(rng, 6)),
    }
}

/// The household's id, from its own `me`.
async fn tokens_household_id(_stack: &Stack, household: &roundabout::graphql_client::GraphqlClient) -> String {
    let me = household.query("{ me { household { id } } }", json!({})).await.unwrap();
    me["me"]["household"]["id"].as_str().unwrap().to_string()
}

/// Rows in the table named by `$1`: PostgreSQL quotes the name (`%I`), so
/// nothing is spliced into SQL in Rust.
const COUNT_ROWS: &str =
    "select (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', $1::text), false, true, '')))[1]::text::bigint";

/// Rows in every table of `pool` except the ones reads may write (audit
/// rows, sessions, caches).
async fn business_rows(pool: &sqlx::PgPool) -> BTreeMap<String, i64> {
    const AUDIT: &[&str] = &[
        "decisions",
        "profile_reads",
        "assisted_actions",
        "sign_in_throttle",
        "sessions",
        // A household is told when an officer acted for it (an officer's
        // download of its data): messages that go with the audit log.
        "notifications",
        "notification_events",
        // Inventory's copy of a council's boundary, fetched on first use.
        "council_areas",
        "_sqlx_migrations",
    ];
    let tables: Vec<String> =
        sqlx::query_scalar("select tablename::text from pg_tables where schemaname = 'public' order by 1")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut out = BTreeMap::new();
    for t in tables.into_iter().filter(|t| !AUDIT.contains(&t.as_str())) {
        let n: i64 = sqlx::query_scalar(COUNT_ROWS).bind(&t).fetch_one(pool).await.unwrap();
        out.insert(t, n);
    }
    out
}

const LEAKS: &[&str] = &[
    "sqlx",
    "panicked",
    "stack backtrace",
    "syntax error at or near",
    "violates",
    "SELECT ",
    "relation \"",
    "src/",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_hostile_requests_break_nothing_and_write_nothing() {
    let stack = Stack::start().await;
    let (council_id, officer) = stack.council("FZ", "officer@fuzz.test").await;
    let household = stack.household(&council_id, "household@fuzz.test").await;
    let clients = Arc::new(vec![stack.anon.clone(), household, officer, stack.admin.clone()]);
    let pools = [
        &stack.gateway_pool,
        &stack.inventory_pool,
        &stack.eligibility_pool,
        &stack.bookings_pool,
        &stack.payments_pool,
    ];
    // The setup's events (a provider approved, …) become messages in the
    // background: wait until every one is taken and written.
    crate::support::notifications_settled(&stack).await;
    let mut before = Vec::new();
    for p in pools {
        before.push(business_rows(p).await);
    }

    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    let cases: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    println!("fuzz: FUZZ_SEED={seed} FUZZ_CASES={cases}");
    let mut model = Model::load();
    let household_id = tokens_household_id(&stack, &clients[1]).await;
    model.ids = vec![council_id.clone(), household_id];
    let mut rng = StdRng::seed_from_u64(seed);
    let requests: Vec<(usize, Send)> = (0..cases)
        .map(|_| {
            let send = match rng.gen_range(0..10) {
                0..=3 => query(&model, &mut rng),
                4..=6 => flawed_mutation(&model, &mut rng),
                _ => garbage(&model, &mut rng),
            };
            // Mostly signed in: anonymous reads stop at UNAUTHENTICATED.
            let who = if rng.gen_ratio(1, 7) {
                0
            } else {
                rng.gen_range(1..clients.len())
            };
            (who, send)
        })
        .collect();

    let http = reqwest::Client::new();
    let url = format!("{}/graphql", stack.gateway_url);
    let tokens: Vec<Option<String>> = vec![
        None,
        Some(support::sign_in(&stack.anon, "household@fuzz.test", PASSWORD).await),
        Some(support::sign_in(&stack.anon, "officer@fuzz.test", PASSWORD).await),
        Some(support::sign_in(&stack.anon, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await),
    ];
    let outcomes = Arc::new(std::sync::Mutex::new(BTreeMap::<String, usize>::new()));
    let failures: Vec<String> = futures::stream::iter(requests.into_iter().enumerate())
        .map(|(n, (who, send))| {
            let (http, url, token) = (http.clone(), url.clone(), tokens[who].clone());
            let outcomes = outcomes.clone();
            async move {
                let mut req = match &send {
                    Send::Json(v) => http.post(&url).json(v),
                    Send::Raw(body, ct) => http.post(&url).header("content-type", *ct).body(body.clone()),
                    Send::Get(q) => http.get(format!("{url}?{q}")),
                };
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let res = match req.send().await {
                    Ok(r) => r,
                    Err(e) => return Some(format!("#{n}: no answer ({e}) to {send:?}")),
                };
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                if status.is_server_error() {
                    return Some(format!("#{n}: {status} to {send:?}: {text}"));
                }
                if let Some(leak) = LEAKS.iter().find(|l| text.contains(**l)) {
                    return Some(format!("#{n}: answer leaks {leak:?} to {send:?}: {text}"));
                }
                // What happened, for the printed summary: the first error's
                // code, or data when the request ran without one.
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let first = if v.is_array() { &v[0] } else { &v };
                let code = first["errors"][0]["extensions"]["code"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| {
                        first["errors"][0]["message"]
                            .as_str()
                            .map(|m| match m.trim_start().starts_with("-->") {
                                true => "syntax error".to_string(),
                                false => m.chars().take(24).collect(),
                            })
                    })
                    .unwrap_or_else(|| "data".to_string());
                // A part that failed (a 5xx behind the gateway) shows as one of these.
                if code == "SERVICE_UNAVAILABLE" || code == "INTERNAL" {
                    return Some(format!("#{n}: a part failed ({code}) on {send:?}: {text}"));
                }
                *outcomes
                    .lock()
                    .unwrap()
                    .entry(format!("{} {code}", status.as_u16()))
                    .or_default() += 1;
                None
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {cases} requests failed (FUZZ_SEED={seed}); first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );

    let mut summary: Vec<(String, usize)> = outcomes.lock().unwrap().clone().into_iter().collect();
    summary.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!("fuzz outcomes (status, first error code or message): {summary:?}");

    // Every part still answers.
    for url in [
        &stack.gateway_url,
        &stack.inventory.url,
        &stack.eligibility_url,
        &stack.bookings_url,
        &stack.payments_url,
    ] {
        let res = reqwest::get(format!("{url}/healthz")).await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
    }
    let me = stack.anon.query("{ councils { id } }", json!({})).await.unwrap();
    assert_eq!(me["councils"].as_array().map(Vec::len), Some(1));
    // Nothing written.
    for (p, was) in pools.iter().zip(before) {
        assert_eq!(business_rows(p).await, was, "FUZZ_SEED={seed}");
    }
}
