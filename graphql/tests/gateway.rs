//! The gateway on its own: limits, tokens, introspection and the committed
//! schema. Service URLs point nowhere; these tests never reach a service.

use roundabout_gateway::{
    accounts::tokens::TokenIssuer,
    build,
    config::{AbuseLimits, BootstrapAdmin, Limits, ServiceUrls},
    Config, MIGRATOR,
};
use roundabout_support::{config::Environment, testing};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

const TOKEN_KEY: &[u8] = b"gateway-test-token-key-0123456789abcdef";
const ADMIN_EMAIL: &str = "admin@example.org";
const ADMIN_PASSWORD: &str = "a long admin password";

struct Gw {
    url: String,
    pool: PgPool,
    _svc: testing::Running,
}

async fn gateway(limits: Limits, environment: Environment) -> Gw {
    gateway_with(limits, environment, AbuseLimits::default()).await
}

async fn gateway_with(limits: Limits, environment: Environment, abuse: AbuseLimits) -> Gw {
    gateway_host(limits, environment, abuse, |_| {}).await
}

async fn gateway_host(
    limits: Limits,
    environment: Environment,
    abuse: AbuseLimits,
    tweak: impl FnOnce(&mut Config),
) -> Gw {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let nowhere = "http://127.0.0.1:9".to_string();
    let mut host = testing::host_config("gateway", &url);
    host.max_body_bytes = limits.max_body_bytes;
    let mut config = Config {
        host,
        environment,
        token_key: TOKEN_KEY.to_vec(),
        token_ttl_secs: 3600,
        services: ServiceUrls {
            inventory: nowhere.clone(),
            eligibility: nowhere.clone(),
            bookings: nowhere.clone(),
            payments: nowhere,
        },
        limits,
        abuse,
        bootstrap_admin: Some(BootstrapAdmin {
            email: ADMIN_EMAIL.into(),
            password: ADMIN_PASSWORD.into(),
        }),
        public_url: "http://localhost:8080".into(),
        retention: Default::default(),
        notify: Default::default(),
        introspection: !environment.is_production(),
        graphiql_dir: None,
    };
    tweak(&mut config);
    let svc = testing::Running::spawn(build(config).await.unwrap());
    Gw {
        url: format!("{}/graphql", svc.url),
        pool,
        _svc: svc,
    }
}

async fn post(url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn error_code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

async fn sign_in(url: &str, email: &str, password: &str) -> Value {
    let q = "mutation($i: SignInInput!) { signIn(input: $i) { token viewer { email roles } userErrors { field code message } } }";
    post(
        url,
        None,
        json!({"query": q, "variables": {"i": {"email": email, "password": password}}}),
    )
    .await
    .1["data"]["signIn"]
        .clone()
}

#[test]
fn committed_schema_matches_the_code() {
    let sdl = roundabout_gateway::schema::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == sdl,
        "graphql/schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo xtask test -p roundabout-gateway` and commit it"
    );
}

#[tokio::test]
async fn the_bootstrap_admin_signs_in_and_wrong_credentials_get_one_answer() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let ok = sign_in(&gw.url, "Admin@Example.org", ADMIN_PASSWORD).await;
    assert_eq!(ok["viewer"]["roles"], json!(["ADMIN"]));
    assert!(ok["token"].as_str().is_some());

    let wrong_password = sign_in(&gw.url, ADMIN_EMAIL, "not the password at all").await;
    let unknown_email = sign_in(&gw.url, "nobody@example.org", "not the password at all").await;
    assert_eq!(wrong_password["token"], Value::Null);
    assert_eq!(wrong_password["userErrors"], unknown_email["userErrors"]);
    assert_eq!(wrong_password["userErrors"][0]["code"], "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn sign_in_takes_similar_time_for_unknown_emails() {
    // Guards the decoy hash: without it an unknown email answers in well under
    // a millisecond while a wrong password costs a full argon2 verification.
    let gw = gateway(Limits::default(), Environment::Development).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        sign_in(&gw.url, ADMIN_EMAIL, "not the password at all").await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        sign_in(&gw.url, "nobody@example.org", "not the password at all").await;
        unknown.push(t.elapsed());
    }
    known.sort();
    unknown.sort();
    let ratio = unknown[2].as_secs_f64() / known[2].as_secs_f64();
    assert!(
        (0.33..3.0).contains(&ratio),
        "median unknown/known = {ratio:.2} ({unknown:?} vs {known:?})"
    );
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_are_unauthenticated() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let admin_id: Uuid = sqlx::query_scalar("select id from users")
        .fetch_one(&gw.pool)
        .await
        .unwrap();
    let create = json!({"query": "mutation { createCouncil(input: {name: \"X\", code: \"XX\", boundary: {}, officerEmail: \"o@example.org\", officerPassword: \"123456789012\"}) { council { id } } }"});

    let (_, v) = post(&gw.url, None, create.clone()).await;
    assert_eq!(error_code(&v), "UNAUTHENTICATED");

    let session_id = Uuid::new_v4();
    let forged = TokenIssuer::new(b"some-other-signing-key-0123456789abcdef", 3600).issue(admin_id, session_id);
    let expired = TokenIssuer::new(TOKEN_KEY, 3600).issue_expired(admin_id, session_id);
    let unknown_user = TokenIssuer::new(TOKEN_KEY, 3600).issue(Uuid::new_v4(), session_id);
    // Well signed and unexpired, but naming a session that was never started.
    let no_session = TokenIssuer::new(TOKEN_KEY, 3600).issue(admin_id, session_id);
    for token in [
        forged.as_str(),
        expired.as_str(),
        unknown_user.as_str(),
        no_session.as_str(),
        "not-a-token",
    ] {
        let (status, v) = post(&gw.url, Some(token), json!({"query": "{ me { id } }"})).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&v), "UNAUTHENTICATED", "{token}");
        // Refused before execution: no `data` entry at all.
        assert!(v.get("data").is_none(), "{v}");
    }
    // No token at all is simply nobody.
    let (_, v) = post(&gw.url, None, json!({"query": "{ me { id } }"})).await;
    assert_eq!(v, json!({"data": {"me": null}}));
}

#[tokio::test]
async fn limits_refuse_before_any_resolver_runs() {
    let limits = Limits {
        max_depth: 3,
        max_complexity: 4,
        max_aliases: 5,
        max_batch: 2,
        max_body_bytes: 4096,
        ..Limits::default()
    };
    let gw = gateway(limits, Environment::Development).await;

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

    let (_, v) = post(
        &gw.url,
        None,
        json!({"query": "{ councils { id name code boundary } }"}),
    )
    .await;
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains("too complex"),
        "{v}"
    );

    // Six aliased sign-ups: refused whole, so no account was created.
    let many: String = (0..6)
        .map(|i| format!("a{i}: signUpProvider(input: {{email: \"p{i}@example.org\", password: \"123456789012\", organisationName: \"P\"}}) {{ token }} "))
        .collect();
    let (status, v) = post(&gw.url, None, json!({"query": format!("mutation {{ {many} }}")})).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&v), "TOO_MANY_ALIASES");
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&gw.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "only the bootstrap admin");

    let op = json!({"query": "{ me { id } }"});
    let (status, v) = post(&gw.url, None, json!([op, op, op])).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&v), "BATCH_TOO_LARGE");
    let (status, v) = post(&gw.url, None, json!([op, op])).await;
    assert_eq!(status, 200);
    assert_eq!(v, json!([{"data": {"me": null}}, {"data": {"me": null}}]));

    let (status, v) = post(
        &gw.url,
        None,
        json!({"query": format!("{{ me {{ id }} }} #{}", "x".repeat(5000))}),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&v), "PAYLOAD_TOO_LARGE");

    let res = reqwest::get(format!(
        "{}?query={}",
        gw.url, "mutation%20%7B%20signIn(input%3A%7Bemail%3A%22a%22%2Cpassword%3A%22b%22%7D)%20%7B%20token%20%7D%20%7D"
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 405);
    let get: Value = reqwest::get(format!("{}?query=%7B%20me%20%7B%20id%20%7D%20%7D", gw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get, json!({"data": {"me": null}}));
}

#[tokio::test]
async fn introspection_is_off_in_production() {
    let q = json!({"query": "{ __schema { queryType { name } } }"});
    let dev = gateway(Limits::default(), Environment::Development).await;
    let (_, v) = post(&dev.url, None, q.clone()).await;
    assert_eq!(v["data"]["__schema"]["queryType"]["name"], "Query");
    let prod = gateway(Limits::default(), Environment::Production).await;
    let (status, v) = post(&prod.url, None, q).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&v), "INTROSPECTION_DISABLED");
    let nested = json!({"query": "{ me { ... on Viewer { __type(name: \"Query\") { name } } } }"});
    assert_eq!(
        error_code(&post(&prod.url, None, nested).await.1),
        "INTROSPECTION_DISABLED"
    );
    let graphiql = reqwest::get(prod.url.replace("/graphql", "/graphiql")).await.unwrap();
    assert_eq!(graphiql.status(), 404);

    // An operator may turn introspection on in production for integrators'
    // tools; GraphiQL stays a development page.
    let open = gateway_host(
        Limits::default(),
        Environment::Production,
        AbuseLimits::default(),
        |c| c.introspection = true,
    )
    .await;
    let (status, v) = post(&open.url, None, json!({"query": "{ __schema { queryType { name } } }"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["__schema"]["queryType"]["name"], "Query");
    let graphiql = reqwest::get(open.url.replace("/graphql", "/graphiql")).await.unwrap();
    assert_eq!(graphiql.status(), 404);
}

#[path = "gateway/graphql_http.rs"]
mod graphql_http;
#[path = "gateway/notify.rs"]
mod notify;
#[path = "gateway/security.rs"]
mod security;

#[tokio::test]
async fn a_request_past_the_gateway_timeout_is_answered_503_in_graphql_shape() {
    // Any sign-in hashes a password for tens of milliseconds: past 1 ms.
    let gw = gateway_host(
        Limits::default(),
        Environment::Development,
        AbuseLimits::default(),
        |c| {
            c.host.request_timeout = std::time::Duration::from_millis(1);
        },
    )
    .await;
    let res = reqwest::Client::new()
        .post(&gw.url)
        .json(&json!({"query": format!(
            "mutation {{ signIn(input: {{email: \"{ADMIN_EMAIL}\", password: \"{ADMIN_PASSWORD}\"}}) {{ token }} }}"
        )}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let v: Value = res.json().await.unwrap();
    assert_eq!(error_code(&v), "TIMED_OUT", "{v}");
    assert_eq!(v["errors"][0]["extensions"]["retryAfterSeconds"], 1);
    // The probes are outside the limit and the timeout.
    let health = reqwest::get(gw.url.replace("/graphql", "/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}
