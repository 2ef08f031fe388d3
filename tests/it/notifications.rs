//! Notifications through the whole stack with the demo mailbox: a booking,
//! its reminder and its cancellation each give exactly one message per
//! recipient and channel (the household's chosen channel, the provider's
//! email), with the reference and a calendar entry on the confirmation.

use std::time::{Duration, Instant};

use chrono::Utc;
use roundabout::graphql_client::{user_error_code, GraphqlClient};
use serde_json::{json, Value};

use crate::support::{
    bookings::{book, cancel_mutation, World},
    Options, Stack,
};

const MESSAGES: &str =
    "query($h: ID) { notifications(householdId: $h, first: 50) { kind channel to subject body status \
    problem bookingId hasCalendarEntry sendAfter sentAt } }";
const MAILBOX: &str =
    "query { mailbox(first: 200) { kind channel to subject body status bookingId hasCalendarEntry } }";
const PREFERENCES: &str =
    "mutation($i: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $i) { \
    preferences { channel phone addressLines postcode setByOfficer } userErrors { field code message } } }";

/// The household's messages of `kind` once there are `n` of them delivered.
async fn wait_for(h: &GraphqlClient, household: Option<&str>, kind: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = h.query(MESSAGES, json!({"h": household})).await.unwrap()["notifications"].clone();
        let of_kind: Vec<Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind && m["status"] == "DELIVERED")
            .cloned()
            .collect();
        if of_kind.len() >= n {
            return of_kind;
        }
        assert!(Instant::now() < deadline, "no {kind} delivered: {all}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn mailbox_of(mailbox: &Value, kind: &str, booking: &str) -> Vec<Value> {
    mailbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == kind && m["bookingId"] == booking)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_booking_its_reminder_and_its_cancellation_each_send_one_message_per_channel() {
    // Reminders 25 hours ahead, so a hire 25 hours and a few seconds away
    // is reminded of within seconds.
    let lead = Duration::from_secs(25 * 3600);
    let stack = Stack::start_with(Options {
        notify: Some(roundabout_gateway::notify::Settings {
            poll: Duration::from_millis(100),
            reminder_lead: lead,
            site_url: "https://roundabout.example".into(),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let w = World::on(stack, 1_000_000).await;
    let (h, household) = w.household("notified@example.test").await;
    let start = Utc::now() + chrono::Duration::from_std(lead).unwrap() + chrono::Duration::seconds(8);
    let start = start - chrono::Duration::nanoseconds(i64::from(start.timestamp_subsec_nanos()));
    let booked = book(
        &h,
        json!({"vehicleId": w.vehicles[0], "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(3),
               "idempotencyKey": "notified-1"}),
    )
    .await;
    assert_eq!(booked["booking"]["status"], "CONFIRMED", "{booked}");
    let booking = booked["booking"]["id"].as_str().unwrap().to_string();
    let reference = booking[..8].to_uppercase();

    let confirmed = wait_for(&h, None, "booking_confirmed", 1).await;
    let c = &confirmed[0];
    assert_eq!(c["channel"], "EMAIL");
    assert_eq!(c["to"], "notified@example.test");
    assert_eq!(c["bookingId"], booking.as_str());
    assert_eq!(c["hasCalendarEntry"], true, "{c}");
    let subject = c["subject"].as_str().unwrap();
    assert!(subject.contains(&reference), "{subject}");
    let body = c["body"].as_str().unwrap();
    for words in [
        reference.as_str(),
        "What happens next",
        "If you need help",
        "https://roundabout.example",
    ] {
        assert!(body.contains(words), "{words:?} missing from {body}");
    }

    // The reminder, the day (here 25 hours) before.
    let reminded = wait_for(&h, None, "booking_reminder", 1).await;
    assert!(reminded[0]["subject"].as_str().unwrap().contains("starts tomorrow"));
    assert!(reminded[0]["body"].as_str().unwrap().contains(&reference));

    // A second household hears by text message, chosen by an officer for it.
    let (h2, household2) = w.household("texted@example.test").await;
    let set = w
        .officer
        .mutate(
            "updateNotificationPreferences",
            PREFERENCES,
            json!({"i": {"householdId": household2, "channel": "SMS", "phone": "+44 7700 900 982"}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&set), None, "{set}");
    assert_eq!(set["preferences"]["phone"], "07700 900982");
    assert_eq!(set["preferences"]["setByOfficer"], true);
    // The household is told, by its new channel, that an officer did it.
    let told = wait_for(&h2, None, "officer_acted", 1).await;
    assert_eq!(told[0]["channel"], "SMS");
    assert!(
        told[0]["body"].as_str().unwrap().contains("changed how we contact you"),
        "{}",
        told[0]
    );
    let b2 = book(
        &h2,
        json!({"vehicleId": w.vehicles[1], "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(2),
               "idempotencyKey": "texted-1"}),
    )
    .await;
    assert_eq!(b2["booking"]["status"], "CONFIRMED", "{b2}");
    let texted = wait_for(&h2, None, "booking_confirmed", 1).await;
    assert_eq!(texted[0]["channel"], "SMS");
    assert_eq!(texted[0]["to"], "07700 900982");
    assert_eq!(texted[0]["hasCalendarEntry"], false);
    assert!(
        texted[0]["body"].as_str().unwrap().len() < 400,
        "a text message is short"
    );

    // Cancelling: one cancellation message, with the refund.
    let cancelled = h
        .mutate(
            "cancelBooking",
            &cancel_mutation(),
            json!({"id": booking, "r": "Plans changed"}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&cancelled), None, "{cancelled}");
    let cancel_msgs = wait_for(&h, Some(&household), "booking_cancelled", 1).await;
    assert!(
        cancel_msgs[0]["body"].as_str().unwrap().contains("refunded"),
        "{}",
        cancel_msgs[0]
    );

    // Exactly once each, in the demo mailbox too: the household's
    // confirmation, reminder and cancellation; the provider's new booking
    // and cancellation.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mailbox = h.query(MAILBOX, json!({})).await.unwrap()["mailbox"].clone();
    for (kind, n) in [
        ("booking_confirmed", 1),
        ("booking_reminder", 1),
        ("booking_cancelled", 1),
        ("provider_new_booking", 1),
        ("provider_booking_cancelled", 1),
    ] {
        let got = mailbox_of(&mailbox, kind, &booking);
        assert_eq!(got.len(), n, "{kind}: {got:?}");
    }
    let provider_msg = &mailbox_of(&mailbox, "provider_new_booking", &booking)[0];
    assert_eq!(provider_msg["channel"], "EMAIL");
    assert_ne!(provider_msg["to"], "notified@example.test");
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from notifications where booking_id = $1::uuid and status not in ('DELIVERED')",
    )
    .bind(&booking)
    .fetch_one(&w.stack.gateway_pool)
    .await
    .unwrap();
    assert_eq!(
        rows, 0,
        "every message of the booking delivered, none waiting or withdrawn"
    );
    let events: i64 = sqlx::query_scalar("select count(*) from events where taken_at is null")
        .fetch_one(&w.stack.bookings_pool)
        .await
        .unwrap();
    assert_eq!(events, 0, "every event taken");

    // Another household cannot read these messages.
    let refused = h2.raw(MESSAGES, json!({"h": household})).await.unwrap();
    assert_eq!(crate::support::error_code(&refused), "FORBIDDEN", "{refused}");
}

#[tokio::test]
async fn a_reminder_of_a_booking_cancelled_first_is_withdrawn_and_bad_choices_are_refused() {
    let w = World::new(1_000_000).await;
    let (h, _) = w.household("withdrawn@example.test").await;
    let start = crate::support::bookings::in_days(4);
    let booked = book(
        &h,
        json!({"vehicleId": w.vehicles[0], "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(2),
               "idempotencyKey": "withdrawn-1"}),
    )
    .await;
    let booking = booked["booking"]["id"].as_str().unwrap().to_string();
    wait_for(&h, None, "booking_confirmed", 1).await;
    let pending = h.query(MESSAGES, json!({"h": null})).await.unwrap()["notifications"].clone();
    let reminder = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "booking_reminder")
        .cloned()
        .unwrap_or_else(|| panic!("no reminder waiting: {pending}"));
    assert_eq!(reminder["status"], "PENDING");
    h.mutate("cancelBooking", &cancel_mutation(), json!({"id": booking, "r": null}))
        .await
        .unwrap();
    wait_for(&h, None, "booking_cancelled", 1).await;
    let after = h.query(MESSAGES, json!({"h": null})).await.unwrap()["notifications"].clone();
    let reminder = after
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "booking_reminder")
        .cloned()
        .unwrap();
    assert_eq!(reminder["status"], "WITHDRAWN", "{reminder}");
    assert!(reminder["problem"].as_str().unwrap().contains("cancelled"));

    // Choices that cannot be sent to are refused and change nothing.
    for (input, field) in [
        (json!({"channel": "SMS"}), "phone"),
        (json!({"channel": "SMS", "phone": "01993 861000"}), "phone"),
        (
            json!({"channel": "LETTER", "addressLines": ["1 High Street"]}),
            "postcode",
        ),
        (json!({"channel": "LETTER", "postcode": "OX28 4AB"}), "addressLines"),
        (
            json!({"channel": "LETTER", "addressLines": ["x".repeat(81)], "postcode": "OX28 4AB"}),
            "addressLines",
        ),
    ] {
        let r = h
            .mutate("updateNotificationPreferences", PREFERENCES, json!({"i": input}))
            .await
            .unwrap();
        assert_eq!(user_error_code(&r).as_deref(), Some("INVALID_INPUT"), "{r}");
        assert_eq!(r["userErrors"][0]["field"][1], field, "{r}");
    }
    let now = h
        .query("query { notificationPreferences { channel phone } }", json!({}))
        .await
        .unwrap();
    assert_eq!(now["notificationPreferences"]["channel"], "EMAIL", "{now}");
    let letter = h
        .mutate(
            "updateNotificationPreferences",
            PREFERENCES,
            json!({"i": {"channel": "LETTER", "addressLines": ["1 High Street", "", "Witney"], "postcode": "ox28 4ab"}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&letter), None, "{letter}");
    assert_eq!(
        letter["preferences"]["addressLines"],
        json!(["1 High Street", "Witney"])
    );
    assert_eq!(letter["preferences"]["postcode"], "OX28 4AB");
}

/// The messages aiosmtpd received for `to`, as its handler decoded them.
fn emails_to(sink: &roundabout_notify::testing::smtp_sink::SmtpSink, to: &str) -> Vec<Value> {
    (1..=sink.received() as u32)
        .map(|n| sink.message(n))
        .filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == to))
        .collect()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn through_smtp_and_gov_uk_notify_each_person_gets_each_message_once() {
    use roundabout_notify::testing::{self, smtp_sink::SmtpSink};
    use std::sync::Arc;

    let sink = SmtpSink::start();
    let (base, stand) = testing::stand_in().await;
    let notify: Arc<dyn roundabout_notify::Transport> = Arc::new(testing::transport(&base, &testing::good_key()));
    let lead = Duration::from_secs(25 * 3600);
    let stack = Stack::start_with(Options {
        notify: Some(roundabout_gateway::notify::Settings {
            poll: Duration::from_millis(100),
            reminder_lead: lead,
            transports: roundabout_gateway::notify::Transports {
                email: Some(Arc::new(sink.transport())),
                sms: Some(notify.clone()),
                letter: Some(notify),
            },
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let w = World::on(stack, 1_000_000).await;
    let (h, _) = w.household("smtp.household@example.test").await;
    let (h2, _) = w.household("texts.household@example.test").await;
    let set = h2
        .mutate(
            "updateNotificationPreferences",
            PREFERENCES,
            json!({"i": {"channel": "SMS", "phone": "07700 900 123"}}),
        )
        .await
        .unwrap();
    assert_eq!(user_error_code(&set), None, "{set}");

    let start = Utc::now() + chrono::Duration::from_std(lead).unwrap() + chrono::Duration::seconds(8);
    let start = start - chrono::Duration::nanoseconds(i64::from(start.timestamp_subsec_nanos()));
    let mut ids = Vec::new();
    for (client, vehicle, key) in [(&h, &w.vehicles[0], "smtp-1"), (&h2, &w.vehicles[1], "sms-1")] {
        let b = book(
            client,
            json!({"vehicleId": vehicle, "kind": "HIRE", "start": start, "end": start + chrono::Duration::hours(2),
                   "idempotencyKey": key}),
        )
        .await;
        assert_eq!(b["booking"]["status"], "CONFIRMED", "{b}");
        ids.push(b["booking"]["id"].as_str().unwrap().to_string());
    }
    let reference = ids[0][..8].to_uppercase();

    // Email by SMTP: the confirmation with its calendar entry, then the reminder.
    until("no confirmation and reminder by SMTP", || {
        emails_to(&sink, "smtp.household@example.test").len() >= 2
    })
    .await;
    let mails = emails_to(&sink, "smtp.household@example.test");
    let confirmation = mails
        .iter()
        .find(|m| {
            m["headers"]["Subject"]
                .as_str()
                .unwrap()
                .starts_with("Booking confirmed")
        })
        .unwrap_or_else(|| panic!("no confirmation: {mails:?}"));
    assert!(confirmation["headers"]["Subject"]
        .as_str()
        .unwrap()
        .contains(&reference));
    assert!(confirmation["headers"]["From"]
        .as_str()
        .unwrap()
        .contains("noreply@westoxon.example"));
    assert!(confirmation["headers"]["Message-ID"]
        .as_str()
        .unwrap()
        .ends_with("@roundabout>"));
    let parts = confirmation["parts"].as_array().unwrap();
    let text = parts
        .iter()
        .find(|p| p["content_type"].as_str().unwrap().starts_with("text/plain"))
        .unwrap();
    assert!(text["text"].as_str().unwrap().contains(&reference));
    let ics = parts
        .iter()
        .find(|p| p["content_type"].as_str().unwrap().starts_with("text/calendar"))
        .unwrap_or_else(|| panic!("no calendar entry: {parts:?}"));
    let ics_text = ics["text"].as_str().unwrap();
    assert!(
        ics_text.contains(&format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ"))),
        "{ics_text}"
    );
    assert!(ics_text.contains(&format!("UID:{}@roundabout", ids[0])), "{ics_text}");

    // Text messages through Notify: the confirmation and the reminder.
    let sms_to = |stand: &testing::Shared| {
        stand
            .lock()
            .unwrap()
            .accepted
            .iter()
            .filter(|(path, b)| path == "/v2/notifications/sms" && b["phone_number"] == "07700 900123")
            .map(|(_, b)| b.clone())
            .collect::<Vec<Value>>()
    };
    until("no two text messages through Notify", || sms_to(&stand).len() >= 2).await;

    // Cancelling the emailed booking: one cancellation by SMTP.
    let cancelled = h
        .mutate("cancelBooking", &cancel_mutation(), json!({"id": ids[0], "r": null}))
        .await
        .unwrap();
    assert_eq!(user_error_code(&cancelled), None, "{cancelled}");
    until("no cancellation by SMTP", || {
        emails_to(&sink, "smtp.household@example.test").len() >= 3
    })
    .await;

    // Settled: exactly once each.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = emails_to(&sink, "smtp.household@example.test");
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["headers"]["Subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    for start in ["Booking confirmed", "Reminder", "Booking cancelled"] {
        assert_eq!(
            subjects.iter().filter(|s| s.starts_with(start)).count(),
            1,
            "{subjects:?}"
        );
    }
    let texts = sms_to(&stand);
    assert_eq!(texts.len(), 2, "{texts:?}");
    for t in &texts {
        assert!(t["personalisation"]["body"]
            .as_str()
            .unwrap()
            .contains(&ids[1][..8].to_uppercase()));
    }
    let references: std::collections::HashSet<&str> = texts.iter().map(|t| t["reference"].as_str().unwrap()).collect();
    assert_eq!(references.len(), 2, "two messages, each its own reference");
    // The provider heard of both bookings and of the cancellation, by email.
    let provider_mails = (1..=sink.received() as u32)
        .map(|n| sink.message(n))
        .filter(|m| m["headers"]["Subject"].as_str().unwrap().starts_with("New booking"))
        .count();
    assert_eq!(provider_mails, 2);
}

/// The mailbox's messages of `kind` once there is one.
async fn in_mailbox(reader: &GraphqlClient, kind: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = reader.query(MAILBOX, json!({})).await.unwrap()["mailbox"].clone();
        let found: Vec<Value> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind)
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(Instant::now() < deadline, "no {kind} in the mailbox: {all}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn providers_officers_and_lease_holders_hear_what_concerns_them() {
    use crate::support::gql::{
        bookings::{book as book_typed, lease},
        Payload,
    };
    // A lease commits £120 a month for 12 months: £1,440 of a £1,700 budget, past 80 %.
    let w = World::new(170_000).await;

    // The provider was approved while the world was set up.
    let approved = in_mailbox(&w.officer, "provider_approved").await;
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert!(approved[0]["subject"].as_str().unwrap().contains("has approved"));

    let (h, household) = w.household("leaseholder@example.test").await;
    let start = crate::support::bookings::in_days(3);
    let p = book_typed(&h, lease(&w.vehicles[2], start, 12, "lease-notified")).await;
    p.assert_ok();
    let booking = p.booking.unwrap().id;

    // The council's officers: 80 % of the scheme's budget is committed.
    let budget = in_mailbox(&w.officer, "scheme_budget_80").await;
    assert_eq!(budget.len(), 1, "once: {budget:?}");
    assert_eq!(budget[0]["to"], "officer@wox.test");
    assert!(budget[0]["body"].as_str().unwrap().contains("£1,700"), "{}", budget[0]);

    // Month 2 falls due now and is taken; month 3 fails.
    for sql in [
        "update lease_instalments set due_at = now(), next_attempt_at = now() where booking_id = $1::uuid and month = 2",
        "update lease_instalments set status = 'FAILED', next_attempt_at = now() + interval '2 days', \
         last_error = 'card_declined' where booking_id = $1::uuid and month = 3",
    ] {
        sqlx::query(sql)
            .bind(&booking)
            .execute(&w.stack.payments_pool)
            .await
            .unwrap();
    }
    let paid = wait_for(&h, None, "lease_instalment_paid", 1).await;
    assert!(paid[0]["subject"].as_str().unwrap().contains("month 2"), "{}", paid[0]);
    assert_eq!(paid[0]["bookingId"], booking.as_str());
    let failed = wait_for(&h, Some(&household), "lease_instalment_failed", 1).await;
    assert!(failed[0]["body"].as_str().unwrap().contains("month 3"), "{}", failed[0]);
    assert!(failed[0]["body"].as_str().unwrap().contains("We will try again"));
}
