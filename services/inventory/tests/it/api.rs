//! The inventory service's internal API, spawned on port 0 against its own
//! fresh database.

use roundabout_inventory::{build, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::{Caller, CALLER_HEADER},
    testing::{self, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

async fn spawn() -> Running {
    let (_pool, url) = testing::fresh_database(&MIGRATOR).await;
    // No council is asked for here, so eligibility's address is never used.
    let app = build(Config::new(
        testing::host_config("inventory", &url),
        "http://127.0.0.1:9",
    ))
    .await
    .unwrap();
    Running::spawn(app)
}

#[tokio::test]
async fn probes_answer_without_a_caller() {
    let svc = spawn().await;
    let http = reqwest::Client::new();
    let health = http.get(format!("{}/healthz", svc.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: Value = http
        .get(format!("{}/readyz", svc.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready, json!({"status": "ready", "database": true, "migrations": true}));
    // A refused call is counted too.
    let refused = http
        .post(format!("{}/internal/providers/batch", svc.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // Metrics are on the internal metrics listener, not the service's port.
    let on_main = http.get(format!("{}/metrics", svc.url)).send().await.unwrap();
    assert_eq!(on_main.status(), 404);
    let metrics = http
        .get(format!("{}/metrics", svc.metrics_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("service=\"inventory\""), "{metrics}");
    assert!(metrics.contains("status=\"401\""), "{metrics}");
}

#[tokio::test]
async fn a_request_without_a_signed_caller_is_refused() {
    let svc = spawn().await;
    let http = reqwest::Client::new();
    let url = format!("{}/internal/providers/{}", svc.url, Uuid::new_v4());
    let res = http.put(&url).json(&json!({"name": "Sneaky"})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");

    // Signed with a key inventory does not trust.
    let stranger = roundabout_support::internal_keys::InternalKeys {
        signing: roundabout_support::internal_keys::SigningKey::from_seed("test-gateway-not", &[7; 32]).unwrap(),
        trusted: testing::test_trusted_keys(),
    };
    let forged = roundabout_support::internal_auth::InternalAuth::new(&stranger, "gateway")
        .unwrap()
        .sign("inventory", &Caller::service("gateway"));
    let res = http
        .put(&url)
        .header(CALLER_HEADER, forged)
        .json(&json!({"name": "Sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Addressed to another service.
    let other = testing::caller_token("eligibility", &Caller::service("gateway"));
    let res = http
        .put(&url)
        .header(CALLER_HEADER, other)
        .json(&json!({"name": "Sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Nothing was created.
    let svc_client = svc.client("inventory");
    let read = svc_client
        .get::<Value>(&url[svc.url.len()..], &Caller::service("gateway"))
        .await;
    assert!(read.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_service_cannot_act_as_an_admin_or_as_another_service() {
    let svc = spawn().await;
    let http = reqwest::Client::new();
    let url = format!("{}/internal/providers/{}", svc.url, Uuid::new_v4());
    // What a broken-into bookings service could sign with its own key.
    let bookings = testing::signing_as("bookings");
    for caller in [testing::admin_caller(), Caller::service("gateway")] {
        let res = http
            .put(&url)
            .header(CALLER_HEADER, bookings.sign("inventory", &caller))
            .json(&json!({"name": "Sneaky"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{caller:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    }
    // The gateway's key may: the same call signed by it creates the provider.
    let res = http
        .put(&url)
        .header(
            CALLER_HEADER,
            testing::signing_as("gateway").sign("inventory", &Caller::service("gateway")),
        )
        .json(&json!({"name": "Cotswold Car Club"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Bookings as itself is answered.
    let read = http
        .get(&url)
        .header(CALLER_HEADER, bookings.sign("inventory", &Caller::service("bookings")))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let row: Value = read.json().await.unwrap();
    assert_eq!(row["name"], "Cotswold Car Club");
}

#[tokio::test]
async fn providers_are_created_once_and_read_in_batches() {
    let svc = spawn().await;
    let client = svc.client("inventory");
    let gateway = Caller::service("gateway");
    let id = Uuid::new_v4();
    let path = format!("/internal/providers/{id}");
    let first: Value = client
        .put(&path, &json!({"name": " Cotswold Car Club "}), &gateway)
        .await
        .unwrap();
    assert_eq!(first["name"], "Cotswold Car Club");
    // A retry returns what the first call stored.
    let again: Value = client
        .put(&path, &json!({"name": "Cotswold Car Club"}), &gateway)
        .await
        .unwrap();
    assert_eq!(again["created_at"], first["created_at"]);

    let other = Uuid::new_v4();
    let rows: Vec<Value> = client
        .post("/internal/providers/batch", &json!({"ids": [id, other]}), &gateway)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.to_string());
}

#[tokio::test]
async fn only_the_gateway_creates_providers_and_names_are_checked() {
    let svc = spawn().await;
    let client = svc.client("inventory");
    let path = format!("/internal/providers/{}", Uuid::new_v4());
    let user = Caller::user(Uuid::new_v4(), "someone@example.org");
    let err = client
        .put::<_, Value>(&path, &json!({"name": "X"}), &user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = client
        .put::<_, Value>(&path, &json!({"name": "   "}), &Caller::service("gateway"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    let err = client
        .put::<_, Value>(&path, &json!({"nom": "X"}), &Caller::service("gateway"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    let too_many: Vec<Uuid> = (0..501).map(|_| Uuid::new_v4()).collect();
    let err = client
        .post::<_, Value>(
            "/internal/providers/batch",
            &json!({"ids": too_many}),
            &Caller::service("gateway"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
}

#[tokio::test]
async fn a_provider_sets_its_contact_details_and_only_its_members_may() {
    let svc = spawn().await;
    let client = svc.client("inventory");
    let gateway = Caller::service("gateway");
    let id = Uuid::new_v4();
    let _: Value = client
        .put(
            &format!("/internal/providers/{id}"),
            &json!({"name": "Cotswold Car Club"}),
            &gateway,
        )
        .await
        .unwrap();
    let path = format!("/internal/providers/{id}/contact");
    let mut member = Caller::user(Uuid::new_v4(), "fleet@cotswold.example");
    member.provider_id = Some(id);
    let row: Value = client
        .put(
            &path,
            &json!({"pickup_address": "Unit 4, Station Road\nWitney OX28 4AB", "phone": "01993 123456", "email": " hire@cotswold.example "}),
            &member,
        )
        .await
        .unwrap();
    assert_eq!(row["pickup_address"], "Unit 4, Station Road\nWitney OX28 4AB");
    assert_eq!(row["contact_email"], "hire@cotswold.example");
    // Read back by id and in batches.
    let read: Value = client
        .get(&format!("/internal/providers/{id}"), &gateway)
        .await
        .unwrap();
    assert_eq!(read["contact_phone"], "01993 123456");

    // Another provider's member may not; bad details are refused by field.
    let mut other = Caller::user(Uuid::new_v4(), "x@other.example");
    other.provider_id = Some(Uuid::new_v4());
    let err = client
        .put::<_, Value>(&path, &json!({"phone": "01993 000000"}), &other)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = client
        .put::<_, Value>(&path, &json!({"email": "not an email"}), &member)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    // Empty clears.
    let row: Value = client
        .put(&path, &json!({"pickup_address": "", "phone": null}), &member)
        .await
        .unwrap();
    assert!(row["pickup_address"].is_null() && row["contact_phone"].is_null() && row["contact_email"].is_null());
    let err = client
        .put::<_, Value>(
            &format!("/internal/providers/{}/contact", Uuid::new_v4()),
            &json!({}),
            &gateway,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOT_FOUND"));
}
