//! Hostile input thrown at eligibility: first at its parsers as properties
//! (postcodes, postcode files, JSON Logic rules, test-case facts, profiles,
//! scheme content), then at the running service's write endpoints (each
//! body made invalid on purpose), asserting no panic, no 5xx, a typed
//! refusal, nothing written and the service still answering.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (and scales
//! the HTTP bodies: a tenth of it per endpoint, at least 100).

use crate::fuzzing::*;
use proptest::prelude::*;
use roundabout_eligibility::{
    build,
    domain::{
        facts::Facts,
        profile::{parse_profile, ProfileIn},
        rules,
        scheme::{parse_scheme, SchemeIn},
    },
    http::postcodes,
    Config, MIGRATOR,
};
use roundabout_support::{
    internal_auth::{Caller, HouseholdMembership},
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

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
        prop::collection::vec(hostile_string(), 0..6),
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
            0..15,
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
        match parse_profile(p) {
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
        match parse_scheme(s) {
            Ok(c) => {
                prop_assert!(roundabout_support::text::first_forbidden(&c.name, false).is_none());
                prop_assert!(roundabout_support::text::first_forbidden(&c.description, true).is_none());
            }
            Err(e) => prop_assert!(["INVALID_INPUT", "INVALID_RULE"].contains(&e.code().as_str()), "{}", e.code()),
        }
    }
}

#[test]
fn deep_rule_text_is_refused_without_recursion() {
    let text = format!("{}1{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    assert!(rules::from_input(&Value::String(text))
        .unwrap_err()
        .contains("nested deeper"));
}

// ---------------------------------------------------------------------
// The running service.

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

fn officer(council: Uuid) -> Caller {
    Caller {
        officer_of: vec![council],
        ..Caller::user(Uuid::new_v4(), "officer@example.org")
    }
}

fn witney() -> Value {
    json!({"type": "Polygon", "coordinates": [[[-1.60, 51.70], [-1.30, 51.70], [-1.30, 51.90], [-1.60, 51.90], [-1.60, 51.70]]]})
}

#[tokio::test]
async fn hostile_bodies_at_every_write_endpoint_are_refused_and_change_nothing() {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let svc = Running::spawn(
        build(Config::new(testing::host_config("eligibility", &url)))
            .await
            .unwrap(),
    );
    let s = Target {
        url: svc.url.clone(),
        audience: "eligibility",
        client: svc.client("eligibility"),
        pool,
        tables: TABLES,
    };
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
    let scheme: Value = s
        .client
        .post("/internal/schemes", &scheme_body, &officer)
        .await
        .unwrap();
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

    let n = bodies();
    let put = reqwest::Method::PUT;
    let post = reqwest::Method::POST;
    let targets: Vec<(reqwest::Method, String, Value, Vec<&'static str>, Caller)> = vec![
        (
            post.clone(),
            "/internal/councils".into(),
            json!({"id": Uuid::new_v4(), "name": "Other", "code": "OTH", "boundary": witney()}),
            vec!["name", "code", "boundary", "id", "boundary/coordinates"],
            admin_caller(),
        ),
        (
            post.clone(),
            "/internal/zones".into(),
            json!({"council_id": council, "name": "Zone", "geometry": witney()}),
            vec![
                "name",
                "geometry",
                "council_id",
                "geometry/coordinates",
                "geometry/type",
            ],
            officer.clone(),
        ),
        (
            post.clone(),
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
                "council_id",
            ],
            officer.clone(),
        ),
        (
            post.clone(),
            format!("/internal/schemes/{scheme_id}/test-cases"),
            json!({"name": "Case", "facts": {"household": {"members": 2}}, "expect_eligible": true}),
            vec!["name", "facts", "facts/household?", "expect_eligible"],
            officer.clone(),
        ),
        (
            put.clone(),
            format!("/internal/households/{household}/profile"),
            json!({"lat": 51.8, "lon": -1.5, "postcode": "OX28 4AB", "members": 2, "annual_income_pence": 10,
                "cars_owned": 0, "blue_badge": false, "benefits": ["pip"], "lead_age": 40,
                "needs": {"seats": 4, "wheelchair_accessible": false, "electric_preferred": false}}),
            vec![
                "benefits/0",
                "postcode?",
                "members",
                "lat",
                "needs",
                "needs/seats",
                "cars_owned",
            ],
            own.clone(),
        ),
    ];
    let mut sent = 0;
    for (method, path, base, fields, caller) in &targets {
        for body in bad_bodies(base, fields, n) {
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    // Whole bodies of random JSON.
    for body in generate(any_body(), n) {
        for (method, path, _, _, caller) in &targets {
            s.refused(method.clone(), path, &body, caller).await;
            sent += 1;
        }
    }
    // Rules: random trees the checker refuses are refused by the service.
    for rule in generate(logic_tree(), n) {
        if rules::check(&rule).is_ok() {
            continue;
        }
        let mut body = targets[2].2.clone();
        body["criteria"][0]["rule"] = rule;
        s.refused(post.clone(), "/internal/schemes", &body, &officer).await;
        sent += 1;
    }
    // Postcode files with at least one bad row answer the rows' problems.
    let files = generate(
        (
            prop::collection::vec(
                (
                    prop_oneof!["[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}", hostile_string()],
                    -90.0f64..90.0,
                ),
                0..20,
            ),
            prop_oneof![poisoned_string(), Just("OX".to_string()), Just("X".to_string())],
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
            .put(
                &format!("/internal/councils/{council}/postcodes"),
                &json!({"csv": csv}),
                &officer,
            )
            .await
            .unwrap_or_else(|e| panic!("{csv:?}: {e}"));
        assert_eq!(out["imported_count"], 0, "{csv:?}");
        assert!(!out["errors"].as_array().unwrap().is_empty());
        sent += 1;
    }
    // Postcodes looked up: found, not found or refused; never a failure.
    for raw in generate(hostile_string(), n) {
        if !raw.is_empty() {
            let path = format!("/internal/councils/{council}/postcodes/{}", path_segment(&raw));
            s.answered(&path, &Caller::anonymous()).await;
            sent += 1;
        }
    }
    for bytes in Target::raw_bodies() {
        s.raw(post.clone(), "/internal/zones", bytes.clone(), &officer).await;
        s.raw(post.clone(), "/internal/schemes", bytes, &officer).await;
        sent += 2;
    }
    s.alive().await;
    assert_eq!(
        s.counts().await,
        before,
        "nothing was written by {sent} refused requests"
    );
}
