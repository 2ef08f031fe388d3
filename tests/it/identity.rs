//! Identity and councils across the gateway, eligibility and inventory.

use crate::support::*;
use roundabout::graphql_client::user_error_code;
use serde_json::{json, Value};

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_council_that_everyone_can_list() {
    let stack = Stack::start().await;
    let (id, officer) = stack.council("WOX", "officer@wox.test").await;

    let all = stack
        .anon
        .query("{ councils { id name code } }", json!({}))
        .await
        .unwrap();
    assert_eq!(
        all["councils"],
        json!([{"id": id, "name": "Council WOX", "code": "WOX"}])
    );
    let one = stack
        .anon
        .query(
            "query($id: ID!) { council(id: $id) { name boundary } }",
            json!({"id": id}),
        )
        .await
        .unwrap();
    assert_eq!(one["council"]["boundary"]["type"], "Polygon");
    let none = stack
        .anon
        .query(
            "{ a: council(id: \"00000000-0000-0000-0000-000000000000\") { id } b: council(id: \"nonsense\") { id } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(none, json!({"a": null, "b": null}));

    let me = officer
        .query("{ me { email roles council { id code } } }", json!({}))
        .await
        .unwrap();
    assert_eq!(
        me["me"],
        json!({"email": "officer@wox.test", "roles": ["OFFICER"], "council": {"id": id, "code": "WOX"}})
    );
}

#[tokio::test]
async fn households_and_providers_sign_up_and_sign_in() {
    let stack = Stack::start().await;
    let (council, _) = stack.council("WOX", "officer@wox.test").await;

    let p = stack
        .anon
        .mutate(
            "signUpHousehold",
            SIGN_UP_HOUSEHOLD,
            json!({"input": {"email": "Resident@Example.org", "password": PASSWORD, "councilId": council, "displayName": "The Ahmeds"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["userErrors"], json!([]));
    assert_eq!(p["viewer"]["email"], "resident@example.org");
    assert_eq!(p["viewer"]["roles"], json!(["HOUSEHOLD"]));
    assert_eq!(p["viewer"]["household"]["council"]["id"], council);
    // The household exists in eligibility, in its council.
    let h: (String,) = sqlx::query_as("select council_id::text from households")
        .fetch_one(&stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(h.0, council);

    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            SIGN_UP_PROVIDER,
            json!({"input": {"email": "fleet@club.test", "password": PASSWORD, "organisationName": "Cotswold Car Club"}}),
        )
        .await
        .unwrap();
    assert_eq!(p["viewer"]["roles"], json!(["PROVIDER"]));
    assert_eq!(p["viewer"]["provider"]["name"], "Cotswold Car Club");
    assert_eq!(count(&stack.inventory_pool, "providers").await, 1);

    let token = sign_in(&stack.anon, "fleet@club.test", PASSWORD).await;
    let me = stack
        .anon
        .with_token(token)
        .query("{ me { provider { name } household { id } } }", json!({}))
        .await
        .unwrap();
    assert_eq!(
        me["me"],
        json!({"provider": {"name": "Cotswold Car Club"}, "household": null})
    );
}

#[tokio::test]
async fn bad_sign_ups_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let (council, _) = stack.council("WOX", "officer@wox.test").await;
    stack.household(&council, "taken@example.org").await;
    let users_before = count(&stack.gateway_pool, "users").await;
    let households_before = count(&stack.eligibility_pool, "households").await;

    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD, "councilId": council}),
            "INVALID_INPUT",
            json!(["input", "email"]),
        ),
        (
            json!({"email": "a@example.org", "password": "short", "councilId": council}),
            "INVALID_INPUT",
            json!(["input", "password"]),
        ),
        (
            json!({"email": "TAKEN@example.org", "password": PASSWORD, "councilId": council}),
            "EMAIL_TAKEN",
            json!(["input", "email"]),
        ),
        (
            json!({"email": "b@example.org", "password": PASSWORD, "councilId": "6f1c1d43-6b51-4bb1-9f0c-2a8d1f4c9e11"}),
            "NOT_FOUND",
            json!(["input", "councilId"]),
        ),
        (
            json!({"email": "c@example.org", "password": PASSWORD, "councilId": "nonsense"}),
            "NOT_FOUND",
            json!(["input", "councilId"]),
        ),
    ];
    for (input, code, field) in cases {
        let p = stack
            .anon
            .mutate("signUpHousehold", SIGN_UP_HOUSEHOLD, json!({"input": input}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some(code), "{input}");
        assert_eq!(p["userErrors"][0]["field"], field, "{input}");
        assert_eq!(p["token"], Value::Null);
    }
    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            SIGN_UP_PROVIDER,
            json!({"input": {"email": "taken@example.org", "password": PASSWORD, "organisationName": "X"}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("EMAIL_TAKEN"));
    let p = stack
        .anon
        .mutate(
            "signUpProvider",
            SIGN_UP_PROVIDER,
            json!({"input": {"email": "new@example.org", "password": PASSWORD, "organisationName": "  "}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_INPUT"));

    assert_eq!(count(&stack.gateway_pool, "users").await, users_before);
    assert_eq!(count(&stack.eligibility_pool, "households").await, households_before);
    assert_eq!(count(&stack.inventory_pool, "providers").await, 0);
}

#[tokio::test]
async fn bad_councils_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    stack.council("WOX", "officer@wox.test").await;
    let bad_boundaries = [
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 91], [1, 1], [0, 0]]]}),
        json!({"type": "Point", "coordinates": [0, 0]}),
        json!({}),
    ];
    for boundary in bad_boundaries {
        let mut input = council_input("NEW", "new-officer@example.org");
        input["boundary"] = boundary.clone();
        let p = stack
            .admin
            .mutate("createCouncil", CREATE_COUNCIL, json!({"input": input}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&p).as_deref(), Some("INVALID_GEOMETRY"), "{boundary}");
        assert_eq!(p["userErrors"][0]["field"], json!(["input", "boundary"]));
        assert_eq!(p["council"], Value::Null);
    }
    let p = stack
        .admin
        .mutate(
            "createCouncil",
            CREATE_COUNCIL,
            json!({"input": council_input("wox", "other@example.org")}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("CODE_TAKEN"));
    let p = stack
        .admin
        .mutate(
            "createCouncil",
            CREATE_COUNCIL,
            json!({"input": council_input("NEW", "officer@wox.test")}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&p).as_deref(), Some("EMAIL_TAKEN"));
    let mut short = council_input("NEW", "x@example.org");
    short["officerPassword"] = json!("short");
    let p = stack
        .admin
        .mutate("createCouncil", CREATE_COUNCIL, json!({"input": short}))
        .await
        .unwrap();
    assert_eq!(p["userErrors"][0]["field"], json!(["input", "officerPassword"]));

    let councils = stack.anon.query("{ councils { code } }", json!({})).await.unwrap();
    assert_eq!(councils["councils"], json!([{"code": "WOX"}]));
    assert_eq!(
        count(&stack.gateway_pool, "users").await,
        2,
        "the admin and the first officer"
    );
}

#[tokio::test]
async fn only_admins_create_councils() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "resident@example.org").await;
    let input = json!({"input": council_input("NEW", "x@example.org")});

    let v = stack.anon.raw(CREATE_COUNCIL, input.clone()).await.unwrap();
    assert_eq!(error_code(&v), "UNAUTHENTICATED");
    for client in [&household, &officer] {
        let v = client.raw(CREATE_COUNCIL, input.clone()).await.unwrap();
        assert_eq!(error_code(&v), "FORBIDDEN");
        assert_eq!(v["data"], Value::Null);
    }
    let councils = stack.anon.query("{ councils { code } }", json!({})).await.unwrap();
    assert_eq!(councils["councils"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn services_refuse_calls_that_do_not_come_through_the_gateway() {
    let stack = Stack::start().await;
    let http = reqwest::Client::new();
    for (url, path) in [
        (&stack.eligibility_url, "/internal/councils"),
        (&stack.inventory.url, "/internal/providers/batch"),
    ] {
        let res = http
            .post(format!("{url}{path}"))
            .json(&json!({"ids": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    }
}
