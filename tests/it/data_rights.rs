//! A household's data rights through the gateway against every service:
//! the export gathers what each part holds; closing the account cancels the
//! bookings that have not begun, then erases the household in every part
//! (checked by searching every database for the person's email, name and
//! postcode), refuses its sign-in, and leaves the council's report and the
//! ledger as they were; and an erasure finishes after each part was down
//! while it ran.

use std::time::{Duration, Instant};

use chrono::Utc;
use roundabout::graphql_client::{user_error_code, GraphqlClient};
use serde_json::{json, Value};

use crate::support::{
    bookings::{book, cancel_mutation, hire, in_days, World, WITNEY},
    error_code, Stack, PASSWORD,
};

const EXPORT: &str = "query($h: ID) { exportMyData(householdId: $h) { householdId generatedAt json \
    sections { key title purpose heldBy records { fields { name label value } } } } }";
pub(crate) const CLOSE: &str = "mutation($i: CloseAccountInput!) { closeAccount(input: $i) { \
    erasure { householdId step done requestedBy completedAt waitingFor } userErrors { field code message } } }";
pub(crate) const ERASURE: &str = "query($h: ID!) { erasure(householdId: $h) { step done waitingFor } }";
const SIGN_UP: &str =
    "mutation($i: SignUpHouseholdInput!) { signUpHousehold(input: $i) { token userErrors { code message } } }";
const SIGN_IN: &str = "mutation($i: SignInInput!) { signIn(input: $i) { token userErrors { code } } }";
const PROFILE: &str = "mutation($i: HouseholdProfileInput!) { updateHouseholdProfile(input: $i) { household { id } userErrors { field code message } } }";
const REPORT: &str = "query($c: ID!, $from: DateTime!, $to: DateTime!) { councilReport(councilId: $c, from: $from, to: $to) { \
    bookings households grossPence subsidyPence householdPaidPence refundedPence cancelledBookings cancellationChargesPence \
    byScheme { bookings subsidyPence } } }";

/// A person as they sign up: what must be gone after erasure.
struct Person {
    email: String,
    name: String,
    postcode: &'static str,
}

impl Person {
    fn new(tag: &str) -> Self {
        Self {
            email: format!("{tag}.erasable@example.test"),
            name: format!("Ada Quintessa {tag}"),
            postcode: "OX28 4QZ",
        }
    }
}

/// Signs the person up in `council`, with their name and a profile with
/// their postcode; returns the client and the household id.
async fn sign_up(stack: &Stack, council: &str, p: &Person) -> (GraphqlClient, String) {
    let up = stack
        .anon
        .mutate(
            "signUpHousehold",
            SIGN_UP,
            json!({"i": {"email": p.email, "password": PASSWORD, "councilId": council, "displayName": p.name}}),
        )
        .await
        .unwrap();
    let h = stack.anon.with_token(up["token"].as_str().expect("signed up"));
    let profile = json!({
        "location": {"lat": WITNEY.1, "lon": WITNEY.0}, "postcode": p.postcode, "members": 2,
        "annualIncomePence": 1_500_000, "carsOwned": 0, "blueBadge": true, "benefits": [],
        "needs": {"seats": 1, "wheelchairAccessible": false, "electricPreferred": false}
    });
    let saved = h
        .mutate("updateHouseholdProfile", PROFILE, json!({"i": profile}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&saved), None, "{saved}");
    let id = saved["household"]["id"].as_str().unwrap().to_string();
    (h, id)
}

fn section<'a>(export: &'a Value, key: &str) -> &'a Value {
    export["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no section {key} in {export}"))
}

fn records(export: &Value, key: &str) -> usize {
    section(export, key)["records"].as_array().unwrap().len()
}

/// Every row of every table of `pool` whose text holds `needle`
/// (case-insensitive), as `table: row`.
async fn find_everywhere(pool: &sqlx::PgPool, needle: &str) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select quote_ident(table_name) from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut hits = Vec::new();
    for t in tables {
        let rows: Vec<String> = sqlx::query_scalar(&format!("select t::text from {t} t where t::text ilike $1"))
            .bind(format!("%{needle}%"))
            .fetch_all(pool)
            .await
            .unwrap();
        hits.extend(rows.into_iter().map(|r| format!("{t}: {r}")));
    }
    hits
}

/// `count(*)` of the rows `sql` selects, with `$1` bound to `value`.
pub(crate) async fn count(pool: &sqlx::PgPool, sql: &str, value: &str) -> i64 {
    sqlx::query_scalar(sql).bind(value).fetch_one(pool).await.unwrap()
}

/// The payload of a sign-in as `email` with the tests' password.
pub(crate) async fn sign_in_as(stack: &Stack, email: &str) -> Value {
    stack
        .anon
        .mutate("signIn", SIGN_IN, json!({"i": {"email": email, "password": PASSWORD}}))
        .await
        .unwrap()
}

fn pools(stack: &Stack) -> [(&'static str, &sqlx::PgPool); 5] {
    [
        ("gateway", &stack.gateway_pool),
        ("eligibility", &stack.eligibility_pool),
        ("bookings", &stack.bookings_pool),
        ("payments", &stack.payments_pool),
        ("inventory", &stack.inventory_pool),
    ]
}

/// Waits for the household's erasure to be done, as an officer sees it.
pub(crate) async fn wait_done(officer: &GraphqlClient, household: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let e = officer.query(ERASURE, json!({"h": household})).await.unwrap()["erasure"].clone();
        if e["done"] == true {
            return e;
        }
        assert!(Instant::now() < deadline, "erasure not done in time: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn report(officer: &GraphqlClient, council: &str) -> Value {
    let from = Utc::now() - chrono::Duration::days(1);
    let to = Utc::now() + chrono::Duration::days(1);
    officer
        .query(REPORT, json!({"c": council, "from": from, "to": to}))
        .await
        .unwrap()["councilReport"]
        .clone()
}

#[tokio::test]
async fn a_household_downloads_everything_held_about_it_from_every_part() {
    let w = World::new(1_000_000).await;
    let person = Person::new("export");
    let (h, id) = sign_up(&w.stack, &w.council, &person).await;
    let booked = book(&h, hire(&w.vehicles[0], in_days(5), 4, "export-1")).await;
    assert_eq!(booked["booking"]["status"], "CONFIRMED", "{booked}");
    let booking_id = booked["booking"]["id"].as_str().unwrap().to_string();
    // An officer looks at the household's answers: a read it should see.
    w.officer
        .query(
            "query($h: ID!) { household(id: $h) { profile { members } } }",
            json!({"h": id}),
        )
        .await
        .unwrap();

    let export = h.query(EXPORT, json!({"h": null})).await.unwrap()["exportMyData"].clone();
    assert_eq!(export["householdId"], id.as_str());
    for (key, held_by) in [
        ("account", "gateway"),
        ("memberships", "gateway"),
        ("sign_ins", "gateway"),
        ("assisted_actions", "gateway"),
        ("household", "eligibility"),
        ("profile", "eligibility"),
        ("eligibility_decisions", "eligibility"),
        ("profile_reads", "eligibility"),
        ("bookings", "bookings"),
        ("payments", "payments"),
    ] {
        assert_eq!(section(&export, key)["heldBy"], held_by, "{key}");
        assert!(records(&export, key) >= 1, "{key} is empty: {}", section(&export, key));
    }
    assert!(
        section(&export, "eligibility_decisions")["purpose"]
            .as_str()
            .unwrap()
            .len()
            > 20
    );
    // The JSON document holds the same, and the person's own details.
    let doc: Value = serde_json::from_str(export["json"].as_str().unwrap()).unwrap();
    let text = doc.to_string();
    for expected in [
        person.email.as_str(),
        person.name.as_str(),
        person.postcode,
        booking_id.as_str(),
    ] {
        assert!(text.contains(expected), "{expected} missing from the JSON export");
    }
    assert_eq!(doc["sections"]["bookings"]["records"][0]["id"], booking_id.as_str());
    assert_eq!(
        doc["sections"]["payments"]["records"][0]["booking_id"],
        booking_id.as_str()
    );
    // The readable form: labels and amounts in pounds.
    let price = section(&export, "bookings")["records"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "base_pence")
        .cloned()
        .unwrap();
    assert_eq!(price["label"], "Base");
    assert_eq!(price["value"], "£26.00");

    // An officer of the council downloads it for the household: recorded.
    let for_them = w.officer.query(EXPORT, json!({"h": id})).await.unwrap()["exportMyData"].clone();
    assert_eq!(for_them["householdId"], id.as_str());
    let logged = count(&w.stack.gateway_pool, "select count(*) from assisted_actions where household_id = $1::uuid and action = 'DATA_EXPORT' and outcome = 'SUCCEEDED'", &id).await;
    assert_eq!(logged, 1);

    // Nobody else: another household, another council's officer, nobody signed in.
    let (other, _) = w.household("export.other@example.test").await;
    let refused = other.raw(EXPORT, json!({"h": id})).await.unwrap();
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let (_, stranger) = w
        .stack
        .council("EXPORT-ELSEWHERE", "elsewhere.officer@example.test")
        .await;
    let refused = stranger.raw(EXPORT, json!({"h": id})).await.unwrap();
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let refused = w.stack.anon.raw(EXPORT, json!({"h": id})).await.unwrap();
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
}

#[tokio::test]
async fn closing_an_account_erases_the_person_everywhere_and_keeps_the_council_s_figures() {
    let w = World::new(1_000_000).await;
    let person = Person::new("erase");
    let (h, id) = sign_up(&w.stack, &w.council, &person).await;
    // Another household books and keeps its booking.
    let (kept, _) = w.household("erase.kept@example.test").await;
    let standing = book(&kept, hire(&w.vehicles[1], in_days(3), 4, "kept-1")).await;
    assert_eq!(standing["booking"]["status"], "CONFIRMED", "{standing}");
    // The person booked and cancelled, giving a reason with their name in it.
    // By card, so the card processor has a customer for the household.
    let mut by_card = hire(&w.vehicles[0], in_days(4), 4, "erase-1");
    by_card["paymentMethod"] = json!("pm_card_visa");
    let b = book(&h, by_card).await;
    assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    let b_id = b["booking"]["id"].as_str().unwrap().to_string();
    let cancelled = h
        .mutate(
            "cancelBooking",
            &cancel_mutation(),
            json!({"id": b_id, "r": format!("{} cannot come", person.name)}),
        )
        .await
        .unwrap();
    assert_eq!(cancelled["booking"]["status"], "CANCELLED", "{cancelled}");
    // Signing in again leaves a sign-in record.
    let again = sign_in_as(&w.stack, &person.email).await;
    assert!(again["token"].is_string());
    // The search finds the person before erasure, in each part that holds them.
    assert!(!find_everywhere(&w.stack.gateway_pool, &person.email).await.is_empty());
    assert!(!find_everywhere(&w.stack.gateway_pool, "Quintessa").await.is_empty());
    assert!(!find_everywhere(&w.stack.eligibility_pool, person.postcode)
        .await
        .is_empty());
    assert!(!find_everywhere(&w.stack.bookings_pool, "Quintessa").await.is_empty());
    let before = report(&w.officer, &w.council).await;
    assert_eq!(before["cancelledBookings"], 1, "{before}");

    // A wrong password is refused and changes nothing.
    let wrong = h
        .mutate(
            "closeAccount",
            CLOSE,
            json!({"i": {"password": "not the password at all"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        user_error_code(&wrong).as_deref(),
        Some("INVALID_CREDENTIALS"),
        "{wrong}"
    );
    let none: i64 = sqlx::query_scalar("select count(*) from erasures")
        .fetch_one(&w.stack.gateway_pool)
        .await
        .unwrap();
    assert_eq!(none, 0);

    let closed = h
        .mutate("closeAccount", CLOSE, json!({"i": {"password": PASSWORD}}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&closed), None, "{closed}");
    assert_eq!(closed["erasure"]["householdId"], id.as_str());
    assert_eq!(closed["erasure"]["requestedBy"], "HOUSEHOLD");
    // From the request on, the household cannot sign in, and its session is over.
    let refused = sign_in_as(&w.stack, &person.email).await;
    assert_eq!(
        user_error_code(&refused).as_deref(),
        Some("INVALID_CREDENTIALS"),
        "{refused}"
    );
    let gone = h.raw("{ me { id } }", json!({})).await.unwrap();
    assert!(
        gone["data"]["me"].is_null() || error_code(&gone) == "UNAUTHENTICATED",
        "{gone}"
    );

    let e = wait_done(&w.officer, &id, Duration::from_secs(30)).await;
    assert_eq!(e["step"], "DONE");

    // The household was told, once, and the message went with its address.
    let confirmed = count(
        &w.stack.gateway_pool,
        "select count(*) from notification_events where kind = 'ACCOUNT_ERASED' and $1 <> ''",
        &id,
    )
    .await;
    assert_eq!(confirmed, 1, "the erasure's confirmation was written");
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(
        &w.stack.gateway_pool,
        "select count(*) from notifications where template = 'account_closed' and status = 'DELIVERED' \
         and address = '{}'::jsonb and $1 <> ''",
        &id,
    )
    .await
        != 1
    {
        if Instant::now() > deadline {
            let rows: Vec<(String, serde_json::Value, Option<String>)> = sqlx::query_as(
                "select status, address, last_error from notifications where template = 'account_closed'",
            )
            .fetch_all(&w.stack.gateway_pool)
            .await
            .unwrap();
            panic!("the erasure's confirmation was not delivered, then its address removed: {rows:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Nothing anywhere names the person.
    for needle in [
        person.email.as_str(),
        person.name.as_str(),
        "Quintessa",
        person.postcode,
        "OX28 4QZ",
    ] {
        for (part, pool) in pools(&w.stack) {
            let hits = find_everywhere(pool, needle).await;
            assert!(hits.is_empty(), "{part} still holds {needle:?}: {hits:?}");
        }
    }
    // The council's figures and the accounts are as they were.
    assert_eq!(report(&w.officer, &w.council).await, before);
    let unbalanced: i64 = sqlx::query_scalar(
        "select count(*) from (select transaction_id from ledger_entries group by transaction_id having sum(amount_pence) <> 0) u",
    )
    .fetch_one(&w.stack.payments_pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);
    let payments = count(
        &w.stack.payments_pool,
        "select count(*) from payments where household_id = $1::uuid",
        &id,
    )
    .await;
    assert_eq!(
        payments, 1,
        "the payment is kept for the accounts, under the household's id"
    );
    // Its customer at the card processor (and the cards saved there) is gone too.
    let customer: Option<String> = sqlx::query_scalar("select result_id from stripe_calls where idempotency_key = $1")
        .bind(format!("delete-customer:{id}"))
        .fetch_optional(&w.stack.payments_pool)
        .await
        .unwrap()
        .flatten();
    let customer = customer.expect("the customer deleted at the processor");
    assert_eq!(w.stack.fake.deleted_customers(), vec![customer]);
    // The account is gone; a new one may use the email again.
    let users = count(
        &w.stack.gateway_pool,
        "select count(*) from users where email = $1",
        &person.email,
    )
    .await;
    assert_eq!(users, 0);
    // Asking again changes nothing.
    let again = w
        .officer
        .mutate("closeAccount", CLOSE, json!({"i": {"householdId": id}}))
        .await
        .unwrap();
    assert_eq!(again["erasure"]["done"], true, "{again}");
    // As if the gateway had died after every part did its step but before
    // any was recorded: every step is sent again, and changes nothing.
    sqlx::query("update erasures set step = 'CANCEL_BOOKINGS', completed_at = null where household_id = $1::uuid")
        .bind(&id)
        .execute(&w.stack.gateway_pool)
        .await
        .unwrap();
    wait_done(&w.officer, &id, Duration::from_secs(30)).await;
    assert_eq!(report(&w.officer, &w.council).await, before);
    let kept_booking = count(
        &w.stack.bookings_pool,
        "select count(*) from bookings where household_id = $1::uuid",
        &id,
    )
    .await;
    assert_eq!(kept_booking, 1, "bookings stay, for the council's reports");
}

#[tokio::test]
async fn closing_an_account_first_cancels_and_refunds_bookings_that_have_not_begun() {
    let w = World::new(1_000_000).await;
    let (h, id) = w.household("close.refund@example.test").await;
    let b = book(&h, hire(&w.vehicles[0], in_days(6), 4, "refund-1")).await;
    assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
    let b_id = b["booking"]["id"].as_str().unwrap().to_string();

    // The household asked the council: an officer closes it, recorded.
    let closed = w
        .officer
        .mutate("closeAccount", CLOSE, json!({"i": {"householdId": id}}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&closed), None, "{closed}");
    assert_eq!(closed["erasure"]["requestedBy"], "OFFICER");
    wait_done(&w.officer, &id, Duration::from_secs(30)).await;

    let booking = w
        .officer
        .query(
            "query($id: ID!) { booking(id: $id) { status cancellation { refundPence reason } payment { status refundedPence } } }",
            json!({"id": b_id}),
        )
        .await
        .unwrap()["booking"]
        .clone();
    assert_eq!(booking["status"], "CANCELLED", "{booking}");
    // Six days ahead: the household's whole share back, by the usual rules.
    assert_eq!(booking["cancellation"]["refundPence"], 1560, "{booking}");
    assert_eq!(booking["payment"]["refundedPence"], 1560, "{booking}");
    // The reason written at cancellation was removed with the rest.
    assert!(booking["cancellation"]["reason"].is_null(), "{booking}");
    let held = count(
        &w.stack.eligibility_pool,
        "select count(*) from budget_allocations where booking_id = $1::uuid and state <> 'RELEASED'",
        &b_id,
    )
    .await;
    assert_eq!(held, 0, "the subsidy went back to the budget");
    let logged = count(
        &w.stack.gateway_pool,
        "select count(*) from assisted_actions where household_id = $1::uuid and action = 'ERASURE_REQUEST'",
        &id,
    )
    .await;
    assert_eq!(logged, 1);

    // Nothing more is done for a closed household, even by an officer.
    let refused = w
        .officer
        .mutate(
            "bookVehicle",
            &crate::support::bookings::book_mutation(),
            json!({"i": {"householdId": id, "vehicleId": w.vehicles[1], "kind": "HIRE", "start": in_days(8),
                          "end": in_days(8) + chrono::Duration::hours(2), "idempotencyKey": "after-close"}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&refused).as_deref(), Some("INVALID_STATE"), "{refused}");
}
