//! The GOV.UK Notify transport against the stand-in Notify server
//! (`roundabout_notify::testing`).

use std::time::Duration;

use axum::http::StatusCode;
use base64::{engine::general_purpose::STANDARD, Engine};
use roundabout_notify::{
    govuk_notify::NotifyApiKey, ics, testing::*, Address, Attachment, Channel, Delivery, SendError, Transport,
};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_email_goes_with_its_template_reference_and_file_link() {
    let (base, stand) = stand_in().await;
    let t = transport(&base, &good_key());
    assert!(t.handles(Channel::Email) && t.handles(Channel::Sms) && t.handles(Channel::Letter));
    let mut msg = message(
        "booking_confirmed",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    let pdf = b"%PDF-1.4\n% booking terms".to_vec();
    msg.attachments = vec![
        ics::booking_attachment(&ics::BookingEvent {
            reference: "RB-1234".into(),
            uid: "rb-1234@roundabout".into(),
            summary: "Car club".into(),
            description: "Collect from Market Square".into(),
            location: "Witney".into(),
            start: chrono::Utc::now(),
            end: chrono::Utc::now() + chrono::Duration::hours(8),
            organiser: None,
        }),
        Attachment {
            filename: "booking-terms.pdf".into(),
            content_type: "application/pdf".into(),
            content: pdf.clone(),
        },
    ];

    let sent = t.send(&msg).await.unwrap();
    assert!(!sent.delivered);
    assert!(Uuid::parse_str(&sent.transport_id).is_ok());

    let accepted = stand.lock().unwrap().accepted.clone();
    assert_eq!(accepted.len(), 1);
    let (path, body) = &accepted[0];
    assert_eq!(path, "/v2/notifications/email");
    assert_eq!(body["email_address"], "amala@example.org");
    assert_eq!(body["template_id"], CONFIRMED_EMAIL);
    assert_eq!(body["reference"], msg.id.to_string());
    assert_eq!(body["email_reply_to_id"], REPLY_TO);
    let p = &body["personalisation"];
    assert_eq!(p["reference"], "RB-1234");
    assert_eq!(p["subject"], "Booking confirmed");
    assert_eq!(p["body"], msg.body);
    assert_eq!(
        p["link_to_file"],
        json!({
            "file": STANDARD.encode(&pdf),
            "filename": "booking-terms.pdf",
            "confirm_email_before_download": true,
            "retention_period": "26 weeks",
        })
    );
    // The calendar entry, which Notify refuses, was left out.
    assert!(p.get("link_to_file_2").is_none());

    // Notify's status of the new message: created, so still pending.
    assert_eq!(t.status(&sent.transport_id).await.unwrap(), Delivery::Pending);
}

#[tokio::test]
async fn other_kinds_use_the_generic_template_and_sms_and_letters_go_to_their_endpoints() {
    let (base, stand) = stand_in().await;
    let t = transport(&base, &good_key());

    let reminder = message(
        "booking_reminder",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    t.send(&reminder).await.unwrap();
    let sms = message(
        "booking_reminder",
        Address::Sms {
            phone: "07700 900123".into(),
        },
    );
    t.send(&sms).await.unwrap();
    let letter = message(
        "booking_confirmed",
        Address::Letter {
            lines: vec!["Amala Bird".into(), "123 High Street".into(), "Witney".into()],
            postcode: "OX28 6AG".into(),
        },
    );
    let sent_letter = t.send(&letter).await.unwrap();

    let accepted = stand.lock().unwrap().accepted.clone();
    assert_eq!(accepted.len(), 3);
    assert_eq!(accepted[0].0, "/v2/notifications/email");
    assert_eq!(accepted[0].1["template_id"], GENERIC_EMAIL);

    assert_eq!(accepted[1].0, "/v2/notifications/sms");
    assert_eq!(accepted[1].1["phone_number"], "07700 900123");
    assert_eq!(accepted[1].1["template_id"], GENERIC_SMS);
    assert_eq!(accepted[1].1["reference"], sms.id.to_string());
    assert_eq!(accepted[1].1["personalisation"]["body"], sms.body);
    assert!(accepted[1].1.get("email_reply_to_id").is_none());

    assert_eq!(accepted[2].0, "/v2/notifications/letter");
    let p = &accepted[2].1["personalisation"];
    assert_eq!(accepted[2].1["template_id"], GENERIC_LETTER);
    assert_eq!(p["address_line_1"], "Amala Bird");
    assert_eq!(p["address_line_2"], "123 High Street");
    assert_eq!(p["address_line_3"], "Witney");
    assert_eq!(p["address_line_4"], "OX28 6AG");
    assert!(p.get("address_line_5").is_none());
    assert_eq!(t.status(&sent_letter.transport_id).await.unwrap(), Delivery::Pending);
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_the_wait_notify_asks_for() {
    let (base, stand) = stand_in().await;
    stand.lock().unwrap().fail_next = Some((
        StatusCode::TOO_MANY_REQUESTS,
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        Some("12"),
    ));
    let t = transport(&base, &good_key());
    let msg = message(
        "booking_confirmed",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    match t.send(&msg).await.unwrap_err() {
        SendError::Retry { reason, after } => {
            assert_eq!(after, Some(Duration::from_secs(12)));
            assert!(reason.contains("429") && reason.contains("RateLimitError"), "{reason}");
        }
        other => panic!("expected Retry, got {other:?}"),
    }
    // The daily limit, with no Retry-After, and a server error: retried too.
    stand.lock().unwrap().fail_next = Some((
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequestsError",
        "Exceeded send limits (email: 250000) for today",
        None,
    ));
    assert!(matches!(t.send(&msg).await, Err(SendError::Retry { after: None, .. })));
    stand.lock().unwrap().fail_next = Some((
        StatusCode::INTERNAL_SERVER_ERROR,
        "Exception",
        "Internal server error",
        None,
    ));
    assert!(matches!(t.send(&msg).await, Err(SendError::Retry { .. })));
    // Then it goes.
    t.send(&msg).await.unwrap();
    assert_eq!(stand.lock().unwrap().accepted.len(), 1);
}

#[tokio::test]
async fn a_bad_request_is_permanent() {
    let (base, stand) = stand_in().await;
    let t = transport(&base, &good_key());
    stand.lock().unwrap().fail_next = Some((
        StatusCode::BAD_REQUEST,
        "BadRequestError",
        "Cannot send to this recipient using a team-only API key.",
        None,
    ));
    let msg = message(
        "booking_confirmed",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    match t.send(&msg).await.unwrap_err() {
        SendError::Permanent { reason } => {
            assert!(reason.contains("400") && reason.contains("BadRequestError"), "{reason}")
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    // A refusal found by the stand-in's own checks: Notify's
    // ValidationError for an address that is not one.
    let not_an_address = message(
        "booking_confirmed",
        Address::Email {
            email: "amala.example.org".into(),
        },
    );
    match t.send(&not_an_address).await.unwrap_err() {
        SendError::Permanent { reason } => assert!(reason.contains("ValidationError"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert!(stand.lock().unwrap().accepted.is_empty());
}

#[tokio::test]
async fn a_wrong_key_is_refused_and_the_secret_never_shown() {
    let (base, stand) = stand_in().await;
    let wrong_secret = "0f0e0d0c-0b0a-4908-8706-050403020100";
    let t = transport(&base, &format!("roundabout_live-{SERVICE_ID}-{wrong_secret}"));
    let msg = message(
        "booking_confirmed",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    match t.send(&msg).await.unwrap_err() {
        SendError::Permanent { reason } => {
            assert!(reason.contains("403") && reason.contains("AuthError"), "{reason}");
            assert!(!reason.contains(wrong_secret) && !reason.contains(SECRET), "{reason}");
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert!(stand.lock().unwrap().accepted.is_empty());
}

#[tokio::test]
async fn the_stand_in_refuses_stale_and_foreign_tokens_as_notify_does() {
    let (base, _stand) = stand_in().await;
    let key = NotifyApiKey::parse(&good_key()).unwrap();
    let other_service = NotifyApiKey::parse(&format!("k-0f0e0d0c-0b0a-4908-8706-050403020100-{SECRET}")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let body = json!({"phone_number": "07700900123", "template_id": GENERIC_SMS, "personalisation": {"body": "x"}});
    let client = reqwest::Client::new();
    for (token, want) in [
        (key.token(now), StatusCode::CREATED),
        (key.token(now - 5), StatusCode::CREATED),
        (key.token(now - 60), StatusCode::FORBIDDEN),
        (key.token(now + 60), StatusCode::FORBIDDEN),
        (other_service.token(now), StatusCode::FORBIDDEN),
    ] {
        let r = client
            .post(format!("{base}/v2/notifications/sms"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want);
    }
    let r = client
        .post(format!("{base}/v2/notifications/sms"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn statuses_are_looked_up_and_mapped() {
    let (base, stand) = stand_in().await;
    let t = transport(&base, &good_key());
    let (delivered, failed, pending) = (
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
    );
    {
        let mut s = stand.lock().unwrap();
        s.statuses.insert(delivered.clone(), "delivered".into());
        s.statuses.insert(failed.clone(), "permanent-failure".into());
        s.statuses.insert(pending.clone(), "pending".into());
    }
    assert_eq!(t.status(&delivered).await.unwrap(), Delivery::Delivered);
    assert!(matches!(t.status(&failed).await.unwrap(), Delivery::Failed(_)));
    assert_eq!(t.status(&pending).await.unwrap(), Delivery::Pending);
    // Past Notify's retention: 404 NoResultFound.
    match t.status(&Uuid::new_v4().to_string()).await.unwrap_err() {
        SendError::Permanent { reason } => assert!(reason.contains("NoResultFound"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    // Not a Notify id at all: refused before asking.
    assert!(matches!(t.status("../../etc").await, Err(SendError::Permanent { .. })));
}

#[tokio::test]
async fn an_unreachable_notify_is_worth_retrying() {
    let port = roundabout_local::ports::free_port().unwrap();
    let t = transport(&format!("http://127.0.0.1:{port}"), &good_key());
    let msg = message(
        "booking_confirmed",
        Address::Email {
            email: "amala@example.org".into(),
        },
    );
    assert!(matches!(t.send(&msg).await, Err(SendError::Retry { .. })));
    assert!(matches!(
        t.status(&Uuid::new_v4().to_string()).await,
        Err(SendError::Retry { .. })
    ));
}

#[tokio::test]
async fn a_message_sent_before_is_found_by_its_reference_and_an_unsent_one_is_not() {
    let (base, _stand) = stand_in().await;
    let t = transport(&base, &good_key());
    let msg = message(
        "booking_reminder",
        Address::Sms {
            phone: "07700 900982".into(),
        },
    );
    assert_eq!(t.find(&msg).await.unwrap(), None, "not sent yet");
    let sent = t.send(&msg).await.unwrap();
    let found = t.find(&msg).await.unwrap().expect("found by its reference");
    assert_eq!(found.transport_id, sent.transport_id);
    assert!(!found.delivered, "created, not yet delivered");
}
