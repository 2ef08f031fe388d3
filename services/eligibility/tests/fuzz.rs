//! Hostile input thrown at eligibility: first at its parsers as properties
//! (postcodes, postcode files, JSON Logic rules, test-case facts, profiles,
//! scheme content), then at the running service's write endpoints (each
//! body made invalid on purpose), asserting no panic, no 5xx, a typed
//! refusal, nothing written and the service still answering.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (and scales
//! the HTTP bodies: a tenth of it per endpoint, at least 100).

use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use roundabout_eligibility::{
    build,
    domain::{facts::Facts, profile::ProfileIn, rules, scheme::SchemeIn},
    http::postcodes,
    Config, MIGRATOR,
};
use roundabout_support::{
    client::{ClientError, ServiceClient},
    internal_auth::{Caller, HouseholdMembership, CALLER_HEADER},
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Strings mixing ordinary text with what text fields refuse.
fn hostile_string() -> impl Strategy<Value = String> {
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

/// A string that always holds at least one refused character.
fn poisoned_string() -> impl Strategy<Value = String> {
    (
        hostile_string(),
        prop::sample::select(vec!['\0', '\n', '\u{202E}', '\u{2066}', '\u{7f}', '\u{2028}']),
        hostile_string(),
    )
        .prop_map(|(a, c, b)| format!("x{a}{c}{b}x"))
}

fn any_json() -> impl Strategy<Value = Value> {
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

/// Random JSON Logic trees over the real operators and facts, and junk.
fn logic_tree() -> impl Strategy<Value = Value> {
    let fact = prop::sample::select(vec![
        "household.members",
        "household.annualIncomePence",
        "household.carsOwned",
        "household.blueBadge",
        "household.benefits",
        "household.needs.seats",
        "household.nope",
    ]);
    let leaf = prop_oneof![
        fact.prop_map(|f| json!({"var": f})),
        any::<i32>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        hostile_string().prop_map(Value::String),
        Just(Value::Null),
    ];
    let op = prop::sample::select(vec![
        "<", "<=", "==", "!=", "and", "or", "!", "in", "if", "+", "-", "*", "/", "%", "max", "min", "var", "regex",
        "some", "merge",
    ]);
    leaf.prop_recursive(16, 256, 4, move |inner| {
        (op.clone(), prop::collection::vec(inner, 0..4)).prop_map(|(op, args)| json!({op: args}))
    })
}

fn profile_in() -> impl Strategy<Value = Value> {
    (
        any::<f64>(),
        -200.0f64..200.0,
        prop::option::of(hostile_string()),
        any::<i32>(),
        prop::option::of(any::<i64>()),
        -5i32..40,
        prop::collection::vec(hostile_string(), 0..30),
        prop::option::of(any::<i32>()),
        any::<i32>(),
    )
        .prop_map(|(lat, lon, postcode, members, income, cars, benefits, age, seats)| {
            json!({
                "lat": if lat.is_finite() { lat } else { 0.0 }, "lon": lon, "postcode": postcode,
                "members": members, "annual_income_pence": income, "cars_owned": cars, "blue_badge": false,
                "benefits": benefits, "lead_age": age,
                "needs": {"seats": seats, "wheelchair_accessible": false, "electric_preferred": true},
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3_000), ..ProptestConfig::default() })]

    #[test]
    fn postcodes_are_normalised_or_refused(raw in prop_oneof![hostile_string(), "[A-Za-z0-9 ]{0,10}", any::<String>()]) {
        if let Some(code) = postcodes::normalise(&raw) {
            prop_assert!((2..=7).contains(&code.len()));
            prop_assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
            // Normalising again changes nothing.
            prop_assert_eq!(postcodes::normalise(&code), Some(code.clone()));
        }
    }

    #[test]
    fn postcode_files_are_read_or_refused_row_by_row(
        header in prop::sample::select(vec!["pcds,lat,long", "pcd,pcd2,pcds,lat,long", "postcode,lon,lat", "a,b", ""]),
        rows in prop::collection::vec(
            (prop_oneof![hostile_string(), "[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}"], any::<f64>(), -200.0f64..200.0),
            0..40,
        ),
    ) {
        let mut csv = format!("{header}\n");
        for (pc, lat, lon) in &rows {
            csv.push_str(&format!("{pc},{lat},{lon}\n"));
        }
        match postcodes::parse(&csv) {
            Ok(found) => prop_assert!(found.len() <= rows.len()),
            Err(errors) => {
                prop_assert!(!errors.is_empty() && errors.len() <= postcodes::MAX_ERRORS + 1);
                prop_assert!(errors.iter().all(|e| e.code == "INVALID_INPUT"));
            }
        }
    }

    #[test]
    fn rules_are_checked_compiled_and_evaluated_without_panicking(rule in logic_tree(), facts in any_json()) {
        if let Ok(checked) = rules::check(&rule) {
            prop_assert!(rules::value_depth(&checked.rule, 64) <= rules::MAX_DEPTH);
            let engine = datalogic_rs::Engine::new();
            let logic = engine.compile(&checked.rule);
            prop_assert!(logic.is_ok(), "a checked rule compiles: {}", checked.rule);
            if let (Ok(logic), Ok(f)) = (logic, Facts::parse(&facts)) {
                let arena = datalogic_rs::bumpalo::Bump::new();
                let _ = engine.evaluate(&logic, &f.to_json(), &arena);
            }
        }
    }

    #[test]
    fn rule_text_is_bounded_before_it_is_parsed(text in prop_oneof![hostile_string(), "[\\[\\]{}\",:0-9a-z]{0,200}"]) {
        let _ = rules::from_input(&Value::String(text));
    }

    #[test]
    fn facts_are_parsed_or_refused(v in any_json()) {
        if let Ok(f) = Facts::parse(&v) {
            for b in f.benefits.iter().flatten() {
                prop_assert!(roundabout_support::text::first_forbidden(b, false).is_none());
            }
        }
    }

    #[test]
    fn profiles_are_checked_or_refused_by_field(v in profile_in()) {
        let Ok(p) = serde_json::from_value::<ProfileIn>(v) else { return Ok(()) };
        match p.parse() {
            Ok(p) => prop_assert!(p.benefits.iter().all(|b| roundabout_support::text::first_forbidden(b, false).is_none())),
            Err(e) => prop_assert_eq!(e.code(), "INVALID_INPUT"),
        }
    }

    #[test]
    fn scheme_content_is_checked_or_refused(name in hostile_string(), description in hostile_string(), label in hostile_string(), rule in logic_tree(), budget in any::<i64>()) {
        let body = json!({
            "council_id": Uuid::nil(), "name": name, "description": description,
            "criteria": [{"id": "c1", "label": label, "rule": rule, "fail_text": "No"}],
            "subsidy": {"percent_basis_points": 4000, "cap_per_booking_pence": 100},
            "applies_to": ["HIRE"], "budget_pence": budget,
        });
        let s: SchemeIn = serde_json::from_value(body).expect("the shape is right");
        match s.parse() {
            Ok(c) => {
                prop_assert!(roundabout_support::text::first_forbidden(&c.name, false).is_none());
                prop_assert!(roundabout_support::text::first_forbidden(&c.description, true).is_none());
            }
            Err(e) => prop_assert!(["INVALID_INPUT", "INVALID_RULE"].contains(&e.code()), "{}", e.code()),
        }
    }
}

#[test]
fn deep_rule_text_is_refused_without_recursion() {
    let text = format!("{}1{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    assert!(rules::from_input(&Value::String(text)).unwrap_err().contains("nested deeper"));
}

// ---------------------------------------------------------------------
// The running service.

struct Svc {
    svc: Running,
    client: ServiceClient,
    pool: sqlx::PgPool,
}

const TABLES: &[&str] = &[
    "councils",
    "households",
    "zones",
    "household_profiles",
    "schemes",
    "scheme_test_cases",
    "budget_allocations",
    "eligibility_decisions",
    "postcodes",
];

impl Svc {
    async fn start() -> Self {
        let (pool, url) = testing::fresh_database(&MIGRATOR).await;
        let svc = Running::spawn(build(Config::new(testing::host_config(&url))).await.unwrap());
        let client = svc.client("eligibility");
        Self { svc, client, pool }
    }

    async fn counts(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for t in TABLES {
            out.push(
                sqlx::query_scalar(&format!("select count(*) from {t}"))
                    .fetch_one(&self.pool)
                    .await
                    .unwrap(),
            );
        }
        out
    }

    /// Sends `body`; a refusal must be a 4xx with the error envelope.
    async fn refused(&self, method: reqwest::Method, path: &str, body: &Value, caller: &Caller) {
        match self.client.send::<_, Value>(method, path, Some(body), caller, None).await {
            Err(ClientError::Refused { status, body: e, .. }) => {
                assert!(status.is_client_error(), "{path}: {status} {e:?}");
                assert!(!e.code.is_empty());
            }
            Ok(v) => panic!("{path} accepted a bad body: {body} -> {v}"),
            Err(e) => panic!("{path} failed on {body}: {e}"),
        }
    }

    /// Sends raw bytes as a JSON body; the answer must be a 4xx.
    async fn raw(&self, path: &str, bytes: Vec<u8>, caller: &Caller) {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.svc.url))
            .header(CALLER_HEADER, testing::caller_token("eligibility", caller))
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }

    async fn alive(&self) {
        let res = reqwest::get(format!("{}/healthz", self.svc.url)).await.unwrap();
        assert!(res.status().is_success());
    }
}

fn generate<S: Strategy>(s: S, n: u32) -> Vec<S::Value> {
    let mut runner = TestRunner::default();
    (0..n)
        .map(|_| s.new_tree(&mut runner).expect("a value").current())
        .collect()
}

fn officer(council: Uuid) -> Caller {
    Caller {
        officer_of: vec![council],
        ..Caller::user(Uuid::new_v4(), "officer@example.org")
    }
}

fn witney() -> Value {
    json!({"type": "Polygon", "coordinates": [[[-1.60, 51.70], [-1.30, 51.70], [-1.30, 51.90], [-1.60, 51.90], [-1.60, 51.70]]]})
}

/// One change to a good body that makes it bad.
#[derive(Debug, Clone)]
enum Poison {
    /// A text field with a refused character.
    Text(String),
    /// A field of the wrong type or shape.
    Junk(Value),
    /// A required field left out.
    Missing,
}

/// Junk is a non-empty array or object: no field below takes one that
/// random content could make valid (a scalar of the right type could be).
fn poison() -> impl Strategy<Value = Poison> {
    let junk = any_json().prop_filter("a non-empty array or object", |v| match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => false,
    });
    prop_oneof![
        3 => poisoned_string().prop_map(Poison::Text),
        2 => junk.prop_map(Poison::Junk),
        1 => Just(Poison::Missing),
    ]
}

/// `base` with the field at `pointer` (`a/b/0`) poisoned. A pointer ending
/// in `?` names an optional field, which is never left out (that is valid).
fn poisoned(base: &Value, pointer: &str, p: &Poison) -> Value {
    let mut v = base.clone();
    let (pointer, p) = match pointer.strip_suffix('?') {
        Some(required_not) => (required_not, if matches!(p, Poison::Missing) { &Poison::Text("\0".into()) } else { p }),
        None => (pointer, p),
    };
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = if parent.is_empty() {
        Some(&mut v)
    } else {
        v.pointer_mut(&format!("/{parent}"))
    };
    if let Some(Value::Object(o)) = target {
        match p {
            Poison::Text(s) => {
                o.insert(key.to_string(), json!(s));
            }
            Poison::Junk(j) => {
                o.insert(key.to_string(), j.clone());
            }
            Poison::Missing => {
                o.remove(key);
            }
        }
    } else if let Some(Value::Array(a)) = target {
        if let Some(slot) = key.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
            *slot = match p {
                Poison::Text(s) => json!(s),
                Poison::Junk(j) => j.clone(),
                Poison::Missing => json!(null),
            };
        }
    }
    v
}

#[tokio::test]
async fn hostile_bodies_at_every_write_endpoint_are_refused_and_change_nothing() {
    let s = Svc::start().await;
    let council = Uuid::new_v4();
    let _: Value = s
        .client
        .post(
            "/internal/councils",
            &json!({"id": council, "name": "Fuzz", "code": "FUZ", "boundary": witney()}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let officer = officer(council);
    let scheme_body = json!({
        "council_id": council, "name": "Scheme", "description": "A scheme",
        "criteria": [{"id": "income", "label": "Income", "rule": {"<": [{"var": "household.annualIncomePence"}, 100]}, "fail_text": "No"}],
        "subsidy": {"percent_basis_points": 4000, "cap_per_booking_pence": 12000},
        "applies_to": ["HIRE"], "budget_pence": 1000,
    });
    let scheme: Value = s.client.post("/internal/schemes", &scheme_body, &officer).await.unwrap();
    let scheme_id = scheme["id"].as_str().unwrap().to_string();
    let household = Uuid::new_v4();
    let _: Value = s
        .client
        .put(
            &format!("/internal/households/{household}"),
            &json!({"council_id": council}),
            &Caller::service("gateway"),
        )
        .await
        .unwrap();
    let mut own = Caller::user(Uuid::new_v4(), "h@example.org");
    own.household = Some(HouseholdMembership {
        household_id: household,
        council_id: council,
    });
    let before = s.counts().await;

    let n = (cases(3_000) / 10).max(100);
    let council_body = json!({"id": Uuid::new_v4(), "name": "Other", "code": "OTH", "boundary": witney()});
    let zone_body = json!({"council_id": council, "name": "Zone", "geometry": witney()});
    let case_body = json!({"name": "Case", "facts": {"household": {"members": 2}}, "expect_eligible": true});
    let profile_body = json!({"lat": 51.8, "lon": -1.5, "postcode": "OX28 4AB", "members": 2, "annual_income_pence": 10,
        "cars_owned": 0, "blue_badge": false, "benefits": ["pip"], "lead_age": 40,
        "needs": {"seats": 4, "wheelchair_accessible": false, "electric_preferred": false}});
    let targets: Vec<(reqwest::Method, String, Value, Vec<&str>, Caller)> = vec![
        (
            reqwest::Method::POST,
            "/internal/councils".into(),
            council_body,
            vec!["name", "code", "boundary", "id"],
            admin_caller(),
        ),
        (
            reqwest::Method::POST,
            "/internal/zones".into(),
            zone_body,
            vec!["name", "geometry", "council_id", "geometry/coordinates", "geometry/type"],
            officer.clone(),
        ),
        (
            reqwest::Method::POST,
            "/internal/schemes".into(),
            scheme_body,
            vec![
                "name",
                "description?",
                "criteria/0/label",
                "criteria/0/fail_text",
                "criteria/0/id",
                "subsidy",
                "applies_to",
                "budget_pence",
            ],
            officer.clone(),
        ),
        (
            reqwest::Method::POST,
            format!("/internal/schemes/{scheme_id}/test-cases"),
            case_body,
            vec!["name", "facts", "facts/household?", "expect_eligible"],
            officer.clone(),
        ),
        (
            reqwest::Method::PUT,
            format!("/internal/households/{household}/profile"),
            profile_body,
            vec!["benefits/0", "postcode?", "members", "lat", "needs", "needs/seats", "cars_owned"],
            own.clone(),
        ),
    ];
    let mut sent = 0;
    for (method, path, base, fields, caller) in &targets {
        let bodies = generate((prop::sample::select(fields.clone()), poison()), n);
        for (field, p) in bodies {
            let body = poisoned(base, field, &p);
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    // Whole bodies of random JSON.
    for body in generate(any_json(), n) {
        for (method, path, _, _, caller) in &targets {
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    // Rules: random trees that the checker refuses are refused by the service.
    for rule in generate(logic_tree(), n) {
        if rules::check(&rule).is_ok() {
            continue;
        }
        let mut body = targets[2].2.clone();
        body["criteria"][0]["rule"] = rule;
        s.refused(reqwest::Method::POST, "/internal/schemes", &body, &officer).await;
        sent += 1;
    }
    // Postcode files with at least one bad row answer the rows' problems.
    let files = generate(
        (
            prop::collection::vec(
                (prop_oneof!["[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}", hostile_string()], -90.0f64..90.0),
                0..20,
            ),
            poisoned_string(),
        ),
        n,
    );
    for (rows, bad) in files {
        let mut csv = "pcds,lat,long\n".to_string();
        for (pc, lat) in rows {
            csv.push_str(&format!("{pc},{lat},-1.5\n"));
        }
        csv.push_str(&format!("{bad},51.7,-1.5\n"));
        let out: Value = s
            .client
            .put(&format!("/internal/councils/{council}/postcodes"), &json!({"csv": csv}), &officer)
            .await
            .unwrap_or_else(|e| panic!("{csv:?}: {e}"));
        assert_eq!(out["imported_count"], 0, "{csv:?}");
        assert!(!out["errors"].as_array().unwrap().is_empty());
        sent += 1;
    }
    // Postcodes looked up: found, not found or refused; never a failure.
    for raw in generate(hostile_string(), n) {
        if raw.is_empty() {
            continue;
        }
        let path = format!(
            "/internal/councils/{council}/postcodes/{}",
            utf8_percent(&raw)
        );
        match s.client.get::<Value>(&path, &Caller::anonymous()).await {
            Ok(_) => {}
            Err(ClientError::Refused { status, .. }) => assert!(status.is_client_error()),
            Err(e) => panic!("{raw:?}: {e}"),
        }
        sent += 1;
    }
    // Bytes that are not JSON, or JSON nested past serde's limit.
    let raw_bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        vec![0xff, 0xfe, 0x00],
        format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        format!("{{\"name\": {}1{}}}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
        b"{\"name\": \"\\ud800\"}".to_vec(),
    ];
    for bytes in raw_bodies {
        s.raw("/internal/zones", bytes.clone(), &officer).await;
        s.raw("/internal/schemes", bytes, &officer).await;
        sent += 2;
    }
    s.alive().await;
    assert_eq!(s.counts().await, before, "nothing was written by {sent} refused requests");
    assert!(sent >= 5 * n as usize);
}

/// Percent-encodes a path segment (every byte but letters and digits).
fn utf8_percent(s: &str) -> String {
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
