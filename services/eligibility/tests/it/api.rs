//! The eligibility service's council and household API, spawned on port 0
//! against its own fresh database.

use roundabout_eligibility::{build, Config, MIGRATOR};
use roundabout_support::{
    internal_auth::Caller,
    testing::{self, admin_caller, Running},
};
use serde_json::{json, Value};
use uuid::Uuid;

async fn spawn() -> (Running, sqlx::PgPool) {
    let (pool, url) = testing::fresh_database(&MIGRATOR).await;
    let app = build(Config::new(testing::host_config("eligibility", &url)))
        .await
        .unwrap();
    (Running::spawn(app), pool)
}

fn witney() -> Value {
    json!({"type": "Polygon", "coordinates": [[[-1.53, 51.76], [-1.44, 51.76], [-1.44, 51.81], [-1.53, 51.81], [-1.53, 51.76]]]})
}

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn readiness_needs_the_migrations() {
    let server = testing::server_url();
    let name = format!("rt_{}", Uuid::new_v4().simple());
    roundabout_support::db::ensure_database(&server, &name).await.unwrap();
    let url = roundabout_support::db::database_url(&server, &name);
    let svc = Running::spawn(
        build(Config::new(testing::host_config("eligibility", &url)))
            .await
            .unwrap(),
    );
    let res = reqwest::get(format!("{}/readyz", svc.url)).await.unwrap();
    assert_eq!(res.status(), 503);
    roundabout_support::db::migrate(&url, &MIGRATOR).await.unwrap();
    let res = reqwest::get(format!("{}/readyz", svc.url)).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_admin_creates_a_council_and_anyone_lists_it() {
    let (svc, _pool) = spawn().await;
    let client = svc.client("eligibility");
    let id = Uuid::new_v4();
    let body = json!({"id": id, "name": "West Oxfordshire", "code": "wox", "boundary": {"type": "Feature", "properties": {}, "geometry": witney()}});
    let created: Value = client.post("/internal/councils", &body, &admin_caller()).await.unwrap();
    assert_eq!(created["code"], "WOX");
    assert_eq!(created["boundary"]["type"], "Polygon");
    // The same request again is answered with the same council.
    let again: Value = client.post("/internal/councils", &body, &admin_caller()).await.unwrap();
    assert_eq!(again["id"], id.to_string());
    let all: Vec<Value> = client.get("/internal/councils", &Caller::anonymous()).await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn bad_councils_are_refused_and_change_nothing() {
    let (svc, pool) = spawn().await;
    let client = svc.client("eligibility");
    let ok = json!({"id": Uuid::new_v4(), "name": "A", "code": "AAA", "boundary": witney()});
    let _: Value = client.post("/internal/councils", &ok, &admin_caller()).await.unwrap();

    let cases = [
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            "INVALID_GEOMETRY",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
            "INVALID_GEOMETRY",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]]}),
            "INVALID_GEOMETRY",
        ),
        (
            json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
            "INVALID_GEOMETRY",
        ),
    ];
    for (boundary, code) in cases {
        let body = json!({"id": Uuid::new_v4(), "name": "B", "code": "BBB", "boundary": boundary});
        let err = client
            .post::<_, Value>("/internal/councils", &body, &admin_caller())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(code), "{boundary}");
    }
    let taken = json!({"id": Uuid::new_v4(), "name": "C", "code": "aaa", "boundary": witney()});
    let err = client
        .post::<_, Value>("/internal/councils", &taken, &admin_caller())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("CODE_TAKEN"));
    let user = Caller::user(Uuid::new_v4(), "resident@example.org");
    let err = client
        .post::<_, Value>("/internal/councils", &ok, &user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));

    assert_eq!(count(&pool, "councils").await, 1);
}

#[tokio::test]
async fn households_register_only_in_a_known_council() {
    let (svc, pool) = spawn().await;
    let client = svc.client("eligibility");
    let council = Uuid::new_v4();
    let _: Value = client
        .post(
            "/internal/councils",
            &json!({"id": council, "name": "A", "code": "AAA", "boundary": witney()}),
            &admin_caller(),
        )
        .await
        .unwrap();
    let gateway = Caller::service("gateway");
    let h = Uuid::new_v4();
    let path = format!("/internal/households/{h}");
    let row: Value = client
        .put(&path, &json!({"council_id": council}), &gateway)
        .await
        .unwrap();
    assert_eq!(row["council_id"], council.to_string());
    let err = client
        .put::<_, Value>(
            &format!("/internal/households/{}", Uuid::new_v4()),
            &json!({"council_id": Uuid::new_v4()}),
            &gateway,
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    // Another household cannot read it; the household itself can.
    let mut stranger = Caller::user(Uuid::new_v4(), "x@example.org");
    stranger.household = Some(roundabout_support::internal_auth::HouseholdMembership {
        household_id: Uuid::new_v4(),
        council_id: council,
    });
    assert!(client.get::<Value>(&path, &stranger).await.unwrap_err().is_not_found());
    let mut own = stranger.clone();
    own.household = Some(roundabout_support::internal_auth::HouseholdMembership {
        household_id: h,
        council_id: council,
    });
    assert_eq!(client.get::<Value>(&path, &own).await.unwrap()["id"], h.to_string());
    assert_eq!(count(&pool, "households").await, 1);
}

#[tokio::test]
async fn officers_of_a_council_set_its_contact_details_and_no_one_else() {
    let (svc, _pool) = spawn().await;
    let client = svc.client("eligibility");
    let id = Uuid::new_v4();
    let body = json!({"id": id, "name": "West Oxfordshire", "code": "wox", "boundary": witney()});
    let _: Value = client.post("/internal/councils", &body, &admin_caller()).await.unwrap();
    let path = format!("/internal/councils/{id}/contact");
    let mut officer = Caller::user(Uuid::new_v4(), "officer@wox.example");
    officer.officer_of = vec![id];
    let row: Value = client
        .put(
            &path,
            &json!({"email": " transport@wox.example ", "phone": "01993 861000"}),
            &officer,
        )
        .await
        .unwrap();
    assert_eq!(row["contact_email"], "transport@wox.example");
    let read: Value = client
        .get(&format!("/internal/councils/{id}"), &Caller::anonymous())
        .await
        .unwrap();
    assert_eq!(read["contact_phone"], "01993 861000");

    let mut other = Caller::user(Uuid::new_v4(), "officer@elsewhere.example");
    other.officer_of = vec![Uuid::new_v4()];
    let err = client
        .put::<_, Value>(&path, &json!({"email": "x@y.example"}), &other)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = client
        .put::<_, Value>(&path, &json!({"phone": "ring us"}), &officer)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    let row: Value = client
        .put(&path, &json!({"email": "", "phone": null}), &officer)
        .await
        .unwrap();
    assert!(row["contact_email"].is_null() && row["contact_phone"].is_null());
}

#[tokio::test]
async fn officers_set_the_details_the_privacy_notice_names_in_one_change() {
    let (svc, _pool) = spawn().await;
    let client = svc.client("eligibility");
    let id = Uuid::new_v4();
    let body = json!({"id": id, "name": "West Oxfordshire", "code": "wox", "boundary": witney()});
    let _: Value = client.post("/internal/councils", &body, &admin_caller()).await.unwrap();
    let path = format!("/internal/councils/{id}/details");
    let mut officer = Caller::user(Uuid::new_v4(), "officer@wox.example");
    officer.officer_of = vec![id];
    let details = json!({
        "email": "transport@wox.example", "phone": "01993 861000",
        "data_protection_officer": " Data Protection Officer ", "data_protection_email": "dpo@wox.example",
        "postal_address": "Woodgreen\nWitney\nOX28 1NB",
        "accessibility_email": "access@wox.example", "accessibility_phone": "01993 861001"
    });
    let row: Value = client.put(&path, &details, &officer).await.unwrap();
    assert_eq!(row["data_protection_officer"], "Data Protection Officer");
    assert_eq!(row["contact_email"], "transport@wox.example");
    let read: Value = client
        .get(&format!("/internal/councils/{id}"), &Caller::anonymous())
        .await
        .unwrap();
    for (field, want) in [
        ("data_protection_email", "dpo@wox.example"),
        ("postal_address", "Woodgreen\nWitney\nOX28 1NB"),
        ("accessibility_email", "access@wox.example"),
        ("accessibility_phone", "01993 861001"),
        ("contact_phone", "01993 861000"),
    ] {
        assert_eq!(read[field], want, "{field}: {read}");
    }
    // The contact route leaves the other details as they are.
    let row: Value = client
        .put(
            &format!("/internal/councils/{id}/contact"),
            &json!({"email": "buses@wox.example"}),
            &officer,
        )
        .await
        .unwrap();
    assert_eq!(row["contact_email"], "buses@wox.example");
    assert_eq!(row["data_protection_email"], "dpo@wox.example");

    let mut other = Caller::user(Uuid::new_v4(), "officer@elsewhere.example");
    other.officer_of = vec![Uuid::new_v4()];
    let err = client.put::<_, Value>(&path, &details, &other).await.unwrap_err();
    assert_eq!(err.code(), Some("FORBIDDEN"));
    let err = client
        .put::<_, Value>(&path, &json!({"data_protection_email": "dpo at wox"}), &officer)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("INVALID_INPUT"));
    let roundabout_support::client::ClientError::Refused { body, .. } = err else {
        panic!("refused")
    };
    assert_eq!(body.field, Some(vec!["data_protection_email".to_string()]));
    // A refused change changed nothing; an empty one clears every part.
    let read: Value = client
        .get(&format!("/internal/councils/{id}"), &Caller::anonymous())
        .await
        .unwrap();
    assert_eq!(read["data_protection_email"], "dpo@wox.example");
    let row: Value = client.put(&path, &json!({}), &officer).await.unwrap();
    for field in [
        "contact_email",
        "contact_phone",
        "data_protection_officer",
        "data_protection_email",
        "postal_address",
        "accessibility_email",
        "accessibility_phone",
    ] {
        assert!(row[field].is_null(), "{field}: {row}");
    }
}
