use super::{config::hmac_sha256, *};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SERVICE: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
const EMAIL_T: &str = "9d751e0e-f929-4891-82a1-a3e1c3c18ee3";
const GENERIC_EMAIL_T: &str = "11111111-2222-4333-8444-555555555555";
const SMS_T: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
const LETTER_T: &str = "64415853-cb86-4cc4-b597-2aaa94ef8c39";

fn key() -> String {
    format!("my_test_key-{SERVICE}-{SECRET}")
}

fn config() -> NotifyConfig {
    NotifyConfig::from_values(
        &key(),
        None,
        &format!("booking_confirmed.email={EMAIL_T}, *.email={GENERIC_EMAIL_T},*.sms={SMS_T},*.letter={LETTER_T}"),
        Some(""),
    )
    .unwrap()
}

fn outgoing(to: Address) -> Outgoing {
    Outgoing {
        id: Uuid::new_v4(),
        template: "booking_confirmed".into(),
        to,
        subject: "Your booking".into(),
        body: "Hello".into(),
        personalisation: [("reference".to_string(), "RB-1234".to_string())].into(),
        attachments: Vec::new(),
    }
}

#[test]
fn the_api_key_splits_as_notify_documents() {
    let k = NotifyApiKey::parse(&key()).unwrap();
    assert_eq!(k.service_id, SERVICE);
    assert_eq!(k.secret, SECRET);
    // Key names may hold hyphens.
    let k = NotifyApiKey::parse(&format!("live-key-2-{SERVICE}-{SECRET}")).unwrap();
    assert_eq!(k.service_id, SERVICE);
    assert!(!format!("{k:?}").contains(SECRET));
}

#[test]
fn bad_keys_are_refused_without_echoing_them() {
    for bad in [
        "",
        "short",
        &format!("name-{SERVICE}{SECRET}x"),
        &format!("name-{SERVICE}-{}", "z".repeat(36)),
    ] {
        let err = NotifyApiKey::parse(bad).unwrap_err();
        assert_eq!(err, NotifyConfigError::ApiKey);
        assert!(!err.to_string().contains(SECRET));
    }
    // Multi-byte characters where the split falls do not panic.
    assert!(NotifyApiKey::parse(&"é".repeat(60)).is_err());
}

#[test]
fn the_token_is_hs256_over_iss_and_iat() {
    let k = NotifyApiKey::parse(&key()).unwrap();
    let token = k.token(1_568_818_578);
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"typ": "JWT", "alg": "HS256"}));
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims, json!({"iss": SERVICE, "iat": 1_568_818_578}));
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
}

#[test]
fn hmac_matches_rfc_4231_case_2() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

#[test]
fn templates_parse_and_fall_back_to_the_generic_one() {
    let c = config();
    assert_eq!(
        c.templates.for_message("booking_confirmed", Channel::Email),
        Some(Uuid::parse_str(EMAIL_T).unwrap())
    );
    assert_eq!(
        c.templates.for_message("booking_reminder", Channel::Email),
        Some(Uuid::parse_str(GENERIC_EMAIL_T).unwrap())
    );
    assert!(Templates::parse("x.fax=9d751e0e-f929-4891-82a1-a3e1c3c18ee3").is_err());
    assert!(Templates::parse("x.email=nope").is_err());
    assert!(Templates::parse("email").is_err());
    assert!(Templates::parse("").unwrap().for_message("x", Channel::Sms).is_none());
}

#[test]
fn base_url_must_be_https_unless_local() {
    let t = "*.email=9d751e0e-f929-4891-82a1-a3e1c3c18ee3";
    assert_eq!(config().base_url.as_str(), "https://api.notifications.service.gov.uk/");
    assert!(NotifyConfig::from_values(&key(), Some("http://127.0.0.1:8080"), t, None).is_ok());
    assert!(NotifyConfig::from_values(&key(), Some("http://[::1]:8080"), t, None).is_ok());
    assert_eq!(
        NotifyConfig::from_values(&key(), Some("http://notify.example"), t, None).unwrap_err(),
        NotifyConfigError::BaseUrl
    );
    assert_eq!(
        NotifyConfig::from_values(&key(), None, t, Some("nope")).unwrap_err(),
        NotifyConfigError::ReplyTo
    );
}

#[test]
fn a_letter_puts_the_postcode_last() {
    let msg = outgoing(Address::Letter {
        lines: vec!["Amala Bird".into(), "123 High Street".into(), "Witney".into()],
        postcode: "OX28 6AG".into(),
    });
    let req = request_for(&config(), &msg).unwrap();
    assert_eq!(req.path, "/v2/notifications/letter");
    let p = &req.body["personalisation"];
    assert_eq!(p["address_line_1"], "Amala Bird");
    assert_eq!(p["address_line_4"], "OX28 6AG");
    assert!(p.get("address_line_5").is_none());
    assert_eq!(req.body["template_id"], LETTER_T);
    assert_eq!(req.body["reference"], msg.id.to_string());
}

#[test]
fn letters_with_too_few_or_many_lines_are_refused() {
    let few = outgoing(Address::Letter {
        lines: vec!["Amala".into(), " ".into()],
        postcode: "OX28 6AG".into(),
    });
    assert!(matches!(request_for(&config(), &few), Err(SendError::Permanent { .. })));
    let many = outgoing(Address::Letter {
        lines: (0..7).map(|i| format!("line {i}")).collect(),
        postcode: "OX28 6AG".into(),
    });
    assert!(matches!(
        request_for(&config(), &many),
        Err(SendError::Permanent { .. })
    ));
}

#[test]
fn a_missing_template_is_permanent() {
    let c = NotifyConfig::from_values(&key(), None, &format!("*.email={EMAIL_T}"), None).unwrap();
    let msg = outgoing(Address::Sms {
        phone: "07700900123".into(),
    });
    assert!(matches!(request_for(&c, &msg), Err(SendError::Permanent { .. })));
}

#[test]
fn calendar_entries_are_left_out_and_accepted_files_linked() {
    let mut msg = outgoing(Address::Email {
        email: "a@example.org".into(),
    });
    msg.attachments = vec![
        Attachment {
            filename: "booking-RB-1.ics".into(),
            content_type: crate::ics::CONTENT_TYPE.into(),
            content: b"BEGIN:VCALENDAR".to_vec(),
        },
        Attachment {
            filename: "terms.pdf".into(),
            content_type: "application/pdf".into(),
            content: b"%PDF-1.4".to_vec(),
        },
    ];
    let req = request_for(&config(), &msg).unwrap();
    let p = &req.body["personalisation"];
    assert_eq!(p["link_to_file"]["filename"], "terms.pdf");
    assert_eq!(p["link_to_file"]["file"], STANDARD.encode(b"%PDF-1.4"));
    assert!(p.get("link_to_file_2").is_none());
    msg.attachments[1].content = vec![0; MAX_FILE_BYTES];
    assert!(matches!(request_for(&config(), &msg), Err(SendError::Permanent { .. })));
}

#[test]
fn errors_map_to_retry_or_permanent() {
    let body = br#"{"status_code":429,"errors":[{"error":"RateLimitError","message":"Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}]}"#;
    assert_eq!(
        error_from_response(StatusCode::TOO_MANY_REQUESTS, Some("7"), body),
        SendError::Retry {
            reason: "GOV.UK Notify answered 429: RateLimitError: Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds".into(),
            after: Some(Duration::from_secs(7)),
        }
    );
    assert!(matches!(
        error_from_response(StatusCode::INTERNAL_SERVER_ERROR, None, b"oops"),
        SendError::Retry { after: None, .. }
    ));
    let e = error_from_response(
        StatusCode::FORBIDDEN,
        None,
        br#"{"status_code":403,"errors":[{"error":"AuthError","message":"Invalid token: API key not found"}]}"#,
    );
    assert!(matches!(&e, SendError::Permanent { reason } if reason.contains("AuthError")));
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
    let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
    let d = parse_retry_after(&later).unwrap();
    assert!(d > Duration::from_secs(80) && d <= Duration::from_secs(90), "{d:?}");
    assert_eq!(parse_retry_after("soon"), None);
}

#[test]
fn statuses_map_to_deliveries() {
    for s in [
        "created",
        "sending",
        "pending",
        "accepted",
        "pending-virus-check",
        "something-new",
    ] {
        assert_eq!(delivery_from_status(s), Delivery::Pending, "{s}");
    }
    for s in ["delivered", "sent", "received"] {
        assert_eq!(delivery_from_status(s), Delivery::Delivered, "{s}");
    }
    for s in [
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "cancelled",
        "validation-failed",
        "virus-scan-failed",
    ] {
        assert!(matches!(delivery_from_status(s), Delivery::Failed(_)), "{s}");
    }
}

#[test]
fn callbacks_need_the_exact_bearer_token() {
    let body = br#"{"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"0b6f7c1e-3d0a-4c55-9a1e-6c1f0a3b2d11","to":"amala@example.org","status":"permanent-failure","created_at":"2017-05-14T12:15:30.000000Z","completed_at":null,"sent_at":null,"notification_type":"email","template_id":"9d751e0e-f929-4891-82a1-a3e1c3c18ee3","template_version":1}"#;
    let r = verify_delivery_receipt("s3cret-token", Some("Bearer s3cret-token"), body).unwrap();
    assert_eq!(r.transport_id, "740e5834-3a29-46b4-9a6f-16142fde533a");
    assert_eq!(r.reference.as_deref(), Some("0b6f7c1e-3d0a-4c55-9a1e-6c1f0a3b2d11"));
    assert_eq!(r.to, "amala@example.org");
    assert_eq!(r.notification_type.as_deref(), Some("email"));
    assert!(matches!(r.delivery, Delivery::Failed(_)));
    for bad in [
        None,
        Some("Bearer s3cret-tokeN"),
        Some("s3cret-token"),
        Some("Bearer "),
        Some("Basic s3cret-token"),
    ] {
        assert_eq!(
            verify_delivery_receipt("s3cret-token", bad, body),
            Err(CallbackError::Unauthorised),
            "{bad:?}"
        );
    }
    assert!(!callback_token_matches("", Some("Bearer ")));
    assert!(matches!(
        verify_delivery_receipt("t", Some("Bearer t"), b"{}"),
        Err(CallbackError::BadBody(_))
    ));
    let null_ref =
        br#"{"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":null,"to":"07700900123","status":"delivered"}"#;
    let r = parse_delivery_receipt(null_ref).unwrap();
    assert_eq!((r.reference, r.delivery), (None, Delivery::Delivered));
}
