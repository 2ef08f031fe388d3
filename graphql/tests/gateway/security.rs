//! The gateway's part of the go-live security review: hostile documents,
//! brute force, sessions that end, and per-client rate limits. Each test
//! names the review's finding it covers (docs/SECURITY.md).

use std::time::Duration;

use super::*;

const SIGN_IN: &str =
    "mutation($i: SignInInput!) { signIn(input: $i) { token viewer { email } userErrors { field code message } } }";

/// Rows in the table named by `$1`: PostgreSQL quotes the name (`%I`), so
/// nothing is spliced into SQL in Rust.
const COUNT_ROWS: &str =
    "select (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', $1::text), false, true, '')))[1]::text::bigint";

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(COUNT_ROWS)
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn token_of(signed_in: &Value) -> String {
    signed_in["token"].as_str().expect("signed in").to_string()
}

async fn me(url: &str, token: &str) -> Value {
    post(url, Some(token), json!({"query": "{ me { email } }"})).await.1
}

/// Finding 1: a list literal nested 2,000 deep used to overflow a worker's
/// stack and abort the whole gateway (and this test binary with it).
#[tokio::test]
async fn deeply_nested_literals_are_refused_before_parsing_and_the_gateway_stays_up() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let deep_list = format!(
        "{{ locatePostcode(councilId:\"x\", postcode: {}\"OX1\"{}) {{ lat }} }}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let deep_object = format!(
        "{{ x: me {{ id }} }} query Q {{ simulateScheme(rule: {}1{}) }}",
        "{a: ".repeat(2000),
        "}".repeat(2000)
    );
    for query in [deep_list, deep_object] {
        let (status, v) = post(&gw.url, None, json!({ "query": query })).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(error_code(&v), "TOO_DEEPLY_NESTED");
    }
    // Deep variables: past serde's own limit, and within it but past ours.
    let mut value = json!(1);
    for _ in 0..100 {
        value = json!([value]);
    }
    let (status, v) = post(
        &gw.url,
        None,
        json!({"query": "query($p: String) { me { id } }", "variables": {"p": value}}),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(error_code(&v), "TOO_DEEPLY_NESTED");
    let body = format!(
        "{{\"query\":\"{{ me {{ id }} }}\",\"variables\":{{\"p\":{}1{}}}}}",
        "[".repeat(3000),
        "]".repeat(3000)
    );
    let res = reqwest::Client::new()
        .post(&gw.url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Still up, and an ordinary nested query still runs.
    let (status, v) = post(&gw.url, None, json!({"query": "{ me { id } }"})).await;
    assert_eq!((status, v), (200, json!({"data": {"me": null}})));
}

/// Finding 7: aliases inside a fragment are counted each time it is spread.
#[tokio::test]
async fn aliases_in_fragments_count_once_per_spread() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let aliases: String = (0..25).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let query = format!("query {{ ...F ...F ...F ...F }} fragment F on Query {{ {aliases} }}");
    let (status, v) = post(&gw.url, None, json!({ "query": query })).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(error_code(&v), "TOO_MANY_ALIASES");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("uses 100"), "{v}");
    // A fragment bomb: 10^6 aliases once expanded, a few hundred bytes written.
    let mut text = String::from("query { ...F0 }");
    for level in 0..6 {
        let spreads: String = (0..10).map(|_| format!("...F{} ", level + 1)).collect();
        text.push_str(&format!(" fragment F{level} on Query {{ {spreads} }}"));
    }
    text.push_str(" fragment F6 on Query { x: me { id } }");
    let (status, v) = post(&gw.url, None, json!({ "query": text })).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(error_code(&v), "TOO_MANY_ALIASES");
}

/// Finding 2: one request may carry one password check at most, in a batch
/// or as aliases.
#[tokio::test]
async fn one_request_may_guess_one_password_at_most() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let guess = |i: usize| json!({"query": SIGN_IN, "variables": {"i": {"email": ADMIN_EMAIL, "password": format!("guess number {i}")}}});
    let (status, v) = post(&gw.url, None, json!([guess(1), guess(2)])).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(error_code(&v), "ONE_SIGN_IN_PER_REQUEST");
    let two = format!(
        "mutation {{ a: signIn(input: {{email: \"{ADMIN_EMAIL}\", password: \"guess one....\"}}) {{ token }} \
         b: signIn(input: {{email: \"{ADMIN_EMAIL}\", password: \"guess two....\"}}) {{ token }} }}"
    );
    let (status, v) = post(&gw.url, None, json!({ "query": two })).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(error_code(&v), "ONE_SIGN_IN_PER_REQUEST");
    // Neither request counted as an attempt: nothing was checked.
    assert_eq!(count(&gw.pool, "sign_in_throttle").await, 0);
}

/// Finding 2: after the free failures, sign-in to the account pauses (even
/// for the right password), for longer after each further attempt; parallel
/// guesses cannot slip past the count.
#[tokio::test]
async fn repeated_wrong_passwords_pause_sign_in_to_the_account() {
    let abuse = AbuseLimits {
        sign_in_free_failures: 3,
        sign_in_backoff_secs: 2,
        sign_in_max_backoff_secs: 60,
        ..AbuseLimits::default()
    };
    let gw = gateway_with(Limits::default(), Environment::Development, abuse).await;
    let codes = |v: &Value| v["userErrors"][0]["code"].as_str().unwrap_or("").to_string();
    // 40 guesses at once.
    let guesses = (0..40).map(|i| {
        sign_in(
            &gw.url,
            ADMIN_EMAIL,
            Box::leak(format!("wrong guess {i:04}").into_boxed_str()),
        )
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|a| codes(a) == "INVALID_CREDENTIALS").count();
    let paused = answers.iter().filter(|a| codes(a) == "TOO_MANY_ATTEMPTS").count();
    assert_eq!(checked + paused, 40);
    assert_eq!(checked, 4, "three free failures and the one that starts the pause");
    // The right password does not help while paused.
    let right = sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(codes(&right), "TOO_MANY_ATTEMPTS", "{right}");
    assert!(right["userErrors"][0]["message"].as_str().unwrap().contains("Wait"));
    assert_eq!(right["token"], Value::Null);
    // Once the pause is over the right password works and clears the count.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let right = sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(right["token"].is_string(), "{right}");
    assert_eq!(count(&gw.pool, "sign_in_throttle").await, 0);
    // Unknown emails are paused the same way (the answer tells nothing).
    for i in 0..4 {
        let v = sign_in(&gw.url, "nobody@example.org", &format!("wrong guess {i:04}")).await;
        assert_eq!(codes(&v), "INVALID_CREDENTIALS");
    }
    let v = sign_in(&gw.url, "nobody@example.org", "wrong guess 0005").await;
    assert_eq!(codes(&v), "TOO_MANY_ATTEMPTS");
}

/// Finding 3: signing out, signing out everywhere and changing the password
/// end sessions at once.
#[tokio::test]
async fn sessions_end_when_signed_out_or_the_password_changes() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let a = token_of(&sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let b = token_of(&sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    assert_eq!(me(&gw.url, &a).await["data"]["me"]["email"], ADMIN_EMAIL);

    let sign_out = json!({"query": "mutation { signOut { sessionsEnded userErrors { code } } }"});
    let (_, v) = post(&gw.url, Some(&a), sign_out.clone()).await;
    assert_eq!(v["data"]["signOut"]["sessionsEnded"], 1, "{v}");
    assert_eq!(error_code(&me(&gw.url, &a).await), "UNAUTHENTICATED");
    assert_eq!(
        me(&gw.url, &b).await["data"]["me"]["email"],
        ADMIN_EMAIL,
        "the other session lives"
    );
    let (_, v) = post(&gw.url, Some(&a), sign_out).await;
    assert_eq!(
        error_code(&v),
        "UNAUTHENTICATED",
        "a signed-out token cannot sign out again"
    );

    let c = token_of(&sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let (_, v) = post(
        &gw.url,
        Some(&c),
        json!({"query": "mutation { signOutEverywhere { sessionsEnded } }"}),
    )
    .await;
    assert_eq!(v["data"]["signOutEverywhere"]["sessionsEnded"], 2, "{v}");
    for t in [&b, &c] {
        assert_eq!(error_code(&me(&gw.url, t).await), "UNAUTHENTICATED");
    }

    let change = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) { viewer { email } userErrors { field code } } }";
    let d = token_of(&sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let e = token_of(&sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let (_, v) = post(&gw.url, Some(&d), json!({"query": change, "variables": {"i": {"currentPassword": "not it at all", "newPassword": "a brand new password"}}})).await;
    assert_eq!(
        v["data"]["changePassword"]["userErrors"][0]["code"], "INVALID_CREDENTIALS",
        "{v}"
    );
    assert_eq!(
        v["data"]["changePassword"]["userErrors"][0]["field"],
        json!(["input", "currentPassword"])
    );
    let (_, v) = post(
        &gw.url,
        Some(&d),
        json!({"query": change, "variables": {"i": {"currentPassword": ADMIN_PASSWORD, "newPassword": "short"}}}),
    )
    .await;
    assert_eq!(
        v["data"]["changePassword"]["userErrors"][0]["code"], "INVALID_INPUT",
        "{v}"
    );
    assert_eq!(
        me(&gw.url, &e).await["data"]["me"]["email"],
        ADMIN_EMAIL,
        "refusals end nothing"
    );
    let (_, v) = post(&gw.url, Some(&d), json!({"query": change, "variables": {"i": {"currentPassword": ADMIN_PASSWORD, "newPassword": "a brand new password"}}})).await;
    assert_eq!(v["data"]["changePassword"]["viewer"]["email"], ADMIN_EMAIL, "{v}");
    assert_eq!(
        me(&gw.url, &d).await["data"]["me"]["email"],
        ADMIN_EMAIL,
        "this session stays"
    );
    assert_eq!(
        error_code(&me(&gw.url, &e).await),
        "UNAUTHENTICATED",
        "other sessions end"
    );
    assert_eq!(
        sign_in(&gw.url, ADMIN_EMAIL, ADMIN_PASSWORD).await["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    assert!(sign_in(&gw.url, ADMIN_EMAIL, "a brand new password").await["token"].is_string());
}

/// Finding 6 (gateway side): a NUL or other control character anywhere in
/// the request's text is refused before any resolver runs; nothing is written.
#[tokio::test]
async fn control_characters_are_refused_and_nothing_is_written() {
    let gw = gateway(Limits::default(), Environment::Development).await;
    let users = count(&gw.pool, "users").await;
    let sign_up = "mutation($i: SignUpProviderInput!) { signUpProvider(input: $i) { token userErrors { code } } }";
    for name in ["Nul\u{0}Cars", "Bell\u{7}", "Esc\u{1b}[31m", "Del\u{7f}"] {
        let (status, v) = post(
            &gw.url,
            None,
            json!({"query": sign_up, "variables": {"i": {"email": "p@example.org", "password": "a good long password", "organisationName": name}}}),
        )
        .await;
        assert_eq!(status, 400, "{name:?}: {v}");
        assert_eq!(error_code(&v), "INVALID_INPUT");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("$i.organisationName"),
            "{v}"
        );
    }
    let literal = r#"mutation { signIn(input: {email: "a\u0000@example.org", password: "x"}) { token } }"#;
    let (status, v) = post(&gw.url, None, json!({ "query": literal })).await;
    assert_eq!((status, error_code(&v)), (400, "INVALID_INPUT"), "{v}");
    assert_eq!(count(&gw.pool, "users").await, users);
    assert_eq!(count(&gw.pool, "sign_in_throttle").await, 0);
}

/// Abuse limits: a client over its rate gets 429 with Retry-After; the
/// address behind a trusted proxy is the one counted.
#[tokio::test]
async fn a_client_over_its_rate_is_answered_429_with_retry_after() {
    let abuse = AbuseLimits {
        requests_per_second: 1,
        burst: 5,
        ..AbuseLimits::default()
    };
    let gw = gateway_with(Limits::default(), Environment::Development, abuse).await;
    let client = reqwest::Client::new();
    let ask = |xff: &'static str| {
        client
            .post(&gw.url)
            .header("x-forwarded-for", xff)
            .json(&json!({"query": "{ me { id } }"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(ask("198.51.100.1").await.unwrap().status(), 200);
    }
    let res = ask("198.51.100.1").await.unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let v: Value = res.json().await.unwrap();
    assert_eq!(error_code(&v), "RATE_LIMITED");
    // Another resident behind the same proxy has its own allowance.
    assert_eq!(ask("198.51.100.2").await.unwrap().status(), 200);
}

/// Finding 7: complexity, like aliases, is counted with fragments expanded.
#[tokio::test]
async fn complexity_counts_every_spread_of_a_fragment() {
    let limits = Limits {
        max_complexity: 10,
        ..Limits::default()
    };
    let gw = gateway(limits, Environment::Development).await;
    let once = "query { ...F } fragment F on Query { me { id email } }";
    let (_, v) = post(&gw.url, None, json!({ "query": once })).await;
    assert_eq!(v, json!({"data": {"me": null}}));
    // Two `me { id email }` cost 6: allowed once, too complex spread twice.
    let fields: String = (0..2).map(|i| format!("m{i}: me {{ id email }} ")).collect();
    let single = format!("query {{ ...F }} fragment F on Query {{ {fields} }}");
    let (_, v) = post(&gw.url, None, json!({ "query": single })).await;
    assert_eq!(v["errors"], Value::Null, "{v}");
    let spread = format!("query {{ ...F ...G }} fragment F on Query {{ {fields} }} fragment G on Query {{ ...F }}");
    let (_, v) = post(&gw.url, None, json!({ "query": spread })).await;
    assert!(
        v["errors"][0]["message"].as_str().unwrap_or("").contains("too complex"),
        "{v}"
    );
}
