//! What the services' fuzz suites share: strategies for hostile input, a
//! way to make a good body bad on purpose, and checks on a running service
//! (each refusal a 4xx with the error envelope, the service still up,
//! nothing written). Included by each service's `tests/it/main.rs` with
//! `#[path]` (used by their `fuzz` modules).

#![allow(
    dead_code,
    reason = "shared by the services' test binaries, each uses a different part"
)]

use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use roundabout_support::{
    client::{ClientError, ServiceClient},
    internal_auth::{Caller, CALLER_HEADER},
    testing,
};
use serde_json::{json, Value};

/// Rows in the table named by `$1`: PostgreSQL quotes the name (`%I`), so
/// nothing is spliced into SQL in Rust.
const COUNT_ROWS: &str =
    "select (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', $1::text), false, true, '')))[1]::text::bigint";

/// `PROPTEST_CASES`, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How many bodies per endpoint: a tenth of the cases, at least 100.
pub fn bodies() -> u32 {
    (cases(3_000) / 10).max(100)
}

/// Strings mixing ordinary text with what text fields refuse.
pub fn hostile_string() -> impl Strategy<Value = String> + Clone {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 ]{0,8}",
        1 => Just("\0".to_string()),
        1 => Just("\t\r\n".to_string()),
        1 => Just("\u{202E}\u{2066}".to_string()),
        1 => Just("\u{2028}\u{85}\u{7f}".to_string()),
        1 => "\\PC{0,4}",
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// A string that always holds at least one character refused even in text
/// of several lines (not a line break or tab).
pub fn poisoned_string() -> impl Strategy<Value = String> + Clone {
    (
        hostile_string(),
        prop::sample::select(vec!['\0', '\u{202E}', '\u{2066}', '\u{7f}', '\u{2028}', '\u{85}']),
        hostile_string(),
    )
        .prop_map(|(a, c, b)| format!("x{a}{c}{b}x"))
}

/// Any JSON value, a few levels deep, with hostile strings and keys.
pub fn any_json() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(hostile_string(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A whole body that no endpoint takes: a scalar, or an object whose keys
/// are never a field's name (an array is left out: serde reads a struct
/// from an array of its fields, so `["a name"]` can be a valid body).
pub fn any_body() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => any_json().prop_filter("not an array or object", |v| !v.is_array() && !v.is_object()),
        3 => prop::collection::btree_map("[a-z_]{0,3}[^a-z_ ]\\PC{0,4}", any_json(), 0..6)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
}

/// One change to a good body that makes it bad.
#[derive(Debug, Clone)]
pub enum Poison {
    /// A text field with a refused character.
    Text(String),
    /// A non-empty object of random keys where a field takes a scalar, a
    /// list or an object of named fields: no random content makes it valid
    /// (an array could: serde reads a struct from an array of its fields).
    Junk(Value),
    /// A required field left out.
    Missing,
}

pub fn poison() -> impl Strategy<Value = Poison> {
    let junk = prop::collection::btree_map("[a-z_]{0,3}[^a-z_ ]\\PC{0,4}", any_json(), 1..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    prop_oneof![
        3 => poisoned_string().prop_map(Poison::Text),
        2 => junk.prop_map(Poison::Junk),
        1 => Just(Poison::Missing),
    ]
}

/// `base` with the field at `pointer` (`a/b/0`) poisoned. A pointer ending
/// in `?` names an optional field, which is never left out (that would be
/// valid): it gets a NUL character instead.
pub fn poisoned(base: &Value, pointer: &str, p: &Poison) -> Value {
    let nul = Poison::Text("x\0x".into());
    let (pointer, p) = match pointer.strip_suffix('?') {
        Some(optional) if matches!(p, Poison::Missing) => (optional, &nul),
        Some(optional) => (optional, p),
        None => (pointer, p),
    };
    let mut v = base.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = if parent.is_empty() {
        Some(&mut v)
    } else {
        v.pointer_mut(&format!("/{parent}"))
    };
    let value = match p {
        Poison::Text(s) => Some(json!(s)),
        Poison::Junk(j) => Some(j.clone()),
        Poison::Missing => None,
    };
    match target {
        Some(Value::Object(o)) => match value {
            Some(x) => {
                o.insert(key.to_string(), x);
            }
            None => {
                o.remove(key);
            }
        },
        Some(Value::Array(a)) => {
            if let Some(slot) = key.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = value.unwrap_or(Value::Null);
            }
        }
        _ => panic!("no field {pointer} in {base}"),
    }
    v
}

/// `n` values of `s` (no shrinking: a failure prints the value itself).
pub fn generate<S: Strategy>(s: S, n: u32) -> Vec<S::Value> {
    let mut runner = TestRunner::default();
    (0..n)
        .map(|_| s.new_tree(&mut runner).expect("a value").current())
        .collect()
}

/// `n` bodies: `base` with one of `fields` poisoned each.
pub fn bad_bodies(base: &Value, fields: &[&'static str], n: u32) -> Vec<Value> {
    generate((prop::sample::select(fields.to_vec()), poison()), n)
        .into_iter()
        .map(|(f, p)| poisoned(base, f, &p))
        .collect()
}

/// Percent-encodes a path segment (every byte but ASCII letters and digits).
pub fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A running service under fuzzing.
pub struct Target {
    pub url: String,
    pub audience: &'static str,
    pub client: ServiceClient,
    pub pool: sqlx::PgPool,
    pub tables: &'static [&'static str],
}

impl Target {
    /// Every table's row count.
    pub async fn counts(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for t in self.tables {
            let n = sqlx::query_scalar(COUNT_ROWS)
                .bind(t)
                .fetch_one(&self.pool)
                .await
                .unwrap();
            out.push((*t, n));
        }
        out
    }

    /// Sends `body`; the answer must be a 4xx refusal with the envelope.
    pub async fn refused(&self, method: reqwest::Method, path: &str, body: &Value, caller: &Caller) {
        match self
            .client
            .send::<_, Value>(method, path, Some(body), caller, None)
            .await
        {
            Err(ClientError::Refused { status, body: e, .. }) => {
                assert!(status.is_client_error(), "{path}: {status} {e:?}");
                assert!(!e.code.as_str().is_empty() && !e.message.is_empty(), "{path}: {e:?}");
            }
            Ok(v) => panic!("{path} accepted a bad body: {body} -> {v}"),
            Err(e) => panic!("{path} failed on {body}: {e}"),
        }
    }

    /// A read: any answer but a failure.
    pub async fn answered(&self, path: &str, caller: &Caller) {
        match self.client.get::<Value>(path, caller).await {
            Ok(_) => {}
            Err(ClientError::Refused { status, .. }) => assert!(status.is_client_error()),
            Err(e) => panic!("{path}: {e}"),
        }
    }

    /// Sends raw bytes as a JSON body; the answer must be a 4xx.
    pub async fn raw(&self, method: reqwest::Method, path: &str, bytes: Vec<u8>, caller: &Caller) {
        let res = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .header(CALLER_HEADER, testing::caller_token(self.audience, caller))
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }

    /// Bytes that are not JSON, or JSON nested far past serde's limit.
    pub fn raw_bodies() -> Vec<Vec<u8>> {
        vec![
            b"{".to_vec(),
            vec![0xff, 0xfe, 0x00],
            format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            format!("{{\"name\": {}1{}}}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
            b"{\"name\": \"\\ud800\"}".to_vec(),
            b"{\"name\": 1e999999}".to_vec(),
        ]
    }

    /// `/healthz` still answers.
    pub async fn alive(&self) {
        let res = reqwest::get(format!("{}/healthz", self.url)).await.unwrap();
        assert!(res.status().is_success());
    }
}
