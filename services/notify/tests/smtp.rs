//! The SMTP transport against a real SMTP server: aiosmtpd (the pinned
//! PyPI package, installed by `cargo xtask test`) with the handler in
//! `tests/smtp_sink.py`, which writes each message it receives to a
//! directory, decoded by Python's email package.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use roundabout_notify::{
    ics::{self, BookingEvent, Organiser},
    smtp::{SmtpConfig, SmtpTransport},
    Address, Outgoing, SendError, Sent, Transport,
};

use roundabout_notify::testing::smtp_sink::{SmtpSink, FROM};

fn booking() -> BookingEvent {
    BookingEvent {
        reference: "RB-1234".into(),
        uid: "0b6f7c1e-3d0a-4c55-9a1e-6c1f0a3b2d11@roundabout".into(),
        summary: "Car club: Vauxhall Corsa-e, Witney".into(),
        description: "Collect the car from Market Square; bring your driving licence.\nReference RB-1234".into(),
        location: "Market Square, Witney OX28 6AG".into(),
        start: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
        end: Utc.with_ymd_and_hms(2025, 3, 14, 17, 0, 0).unwrap(),
        organiser: Some(Organiser {
            name: Some("West Oxfordshire Council".into()),
            email: "noreply@westoxon.example".into(),
        }),
    }
}

fn email_to(address: &str) -> Outgoing {
    Outgoing {
        id: uuid::Uuid::new_v4(),
        template: "booking_confirmed".into(),
        to: Address::Email { email: address.into() },
        subject: "Booking confirmed – RB-1234".into(),
        body: "Dear Amala,\n\nYour car is booked for Friday 14 March, 9:30am to 5pm.\nThe £5 deposit is refundable.\n\nWest Oxfordshire Council".into(),
        personalisation: Default::default(),
        attachments: vec![ics::booking_attachment(&booking())],
    }
}

#[tokio::test]
async fn an_email_arrives_with_its_headers_body_and_calendar_entry() {
    let sink = SmtpSink::start();
    let transport = sink.transport();
    assert!(transport.handles(roundabout_notify::Channel::Email));
    assert!(!transport.handles(roundabout_notify::Channel::Sms));
    let msg = email_to("amala@example.org");

    let sent = transport.send(&msg).await.unwrap();
    assert_eq!(
        sent,
        Sent {
            transport_id: format!("<{}@roundabout>", msg.id),
            delivered: true
        }
    );

    let got = sink.message(1);
    assert_eq!(got["mail_from"], "noreply@westoxon.example");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["amala@example.org"]));
    let h = &got["headers"];
    assert_eq!(h["From"], FROM);
    assert_eq!(h["To"], "amala@example.org");
    assert_eq!(h["Subject"], "Booking confirmed – RB-1234");
    assert_eq!(h["Message-ID"], format!("<{}@roundabout>", msg.id));
    assert!(h["Date"].is_string());

    let parts = got["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{parts:?}");
    let text = &parts[0];
    assert!(
        text["content_type"].as_str().unwrap().starts_with("text/plain"),
        "{text}"
    );
    assert!(text["content_type"].as_str().unwrap().to_lowercase().contains("utf-8"));
    assert_eq!(
        text["text"].as_str().unwrap().replace("\r\n", "\n").trim_end(),
        msg.body
    );

    let cal = &parts[1];
    // Python's parser writes parameters quoted: `method="PUBLISH"`.
    let ct = cal["content_type"].as_str().unwrap().replace('"', "");
    assert!(ct.starts_with("text/calendar;"), "{ct}");
    assert!(ct.contains("method=PUBLISH"), "{ct}");
    assert!(ct.to_lowercase().contains("charset=utf-8"), "{ct}");
    assert_eq!(cal["filename"], "booking-RB-1234.ics");
    assert_eq!(cal["disposition"], "attachment");
    let unfolded = ics::unfold(cal["text"].as_str().unwrap());
    let event = booking();
    assert_eq!(
        ics::parse_utc_time(ics::property(&unfolded, "DTSTART").unwrap()),
        Some(event.start)
    );
    assert_eq!(
        ics::parse_utc_time(ics::property(&unfolded, "DTEND").unwrap()),
        Some(event.end)
    );
    assert_eq!(
        ics::unescape_text(ics::property(&unfolded, "LOCATION").unwrap()),
        event.location
    );
    assert_eq!(
        ics::unescape_text(ics::property(&unfolded, "DESCRIPTION").unwrap()),
        event.description
    );

    // A retry of the same notification carries the same Message-ID.
    let again = transport.send(&msg).await.unwrap();
    assert_eq!(again.transport_id, sent.transport_id);
    assert_eq!(
        sink.message(2)["headers"]["Message-ID"],
        format!("<{}@roundabout>", msg.id)
    );
}

#[tokio::test]
async fn an_email_without_attachments_is_plain_text() {
    let sink = SmtpSink::start();
    let mut msg = email_to("amala@example.org");
    msg.attachments.clear();
    sink.transport().send(&msg).await.unwrap();
    let got = sink.message(1);
    let parts = got["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1);
    assert!(parts[0]["content_type"].as_str().unwrap().starts_with("text/plain"));
    assert_eq!(
        parts[0]["text"].as_str().unwrap().replace("\r\n", "\n").trim_end(),
        msg.body
    );
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_a_busy_one_retried() {
    let sink = SmtpSink::start();
    let transport = sink.transport();

    let err = transport.send(&email_to("refused@example.org")).await.unwrap_err();
    match &err {
        SendError::Permanent { reason } => assert!(reason.contains("550"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }

    let err = transport.send(&email_to("busy@example.org")).await.unwrap_err();
    match &err {
        SendError::Retry { reason, .. } => assert!(reason.contains("451"), "{reason}"),
        other => panic!("expected Retry, got {other:?}"),
    }
    assert_eq!(sink.received(), 0);

    // The same transport still delivers to a good address afterwards.
    transport.send(&email_to("amala@example.org")).await.unwrap();
    assert_eq!(sink.message(1)["rcpt_tos"], serde_json::json!(["amala@example.org"]));
}

#[tokio::test]
async fn no_server_is_worth_retrying() {
    let port = roundabout_local::ports::free_port().unwrap();
    let config = SmtpConfig::from_values(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();
    let err = SmtpTransport::new(&config)
        .unwrap()
        .send(&email_to("amala@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Retry { .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_retry() {
    // Accepts connections (the kernel completes them) but never speaks.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut config = SmtpConfig::from_values(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();
    config.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = SmtpTransport::new(&config)
        .unwrap()
        .send(&email_to("amala@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Retry { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
