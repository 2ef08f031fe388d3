//! The GOV.UK Notify transport against a stand-in Notify server written
//! here (axum on 127.0.0.1:0). The stand-in checks what Notify documents:
//! the JSON Web Token (HS256 with the key's secret, `iss` the service id,
//! `iat` within 30 seconds), each endpoint's required and allowed fields,
//! the template ids, the personalisation a template needs, a file's fields,
//! and answers with Notify's documented errors when told to.

// The stand-in's checks return the HTTP answer itself as their error.
#![allow(clippy::result_large_err)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use hmac::{Hmac, Mac};
use roundabout_notify::{
    govuk_notify::{NotifyApiKey, NotifyConfig, NotifyTransport},
    ics, Address, Attachment, Channel, Delivery, Outgoing, SendError, Transport,
};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use uuid::Uuid;

const SERVICE_ID: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
const CONFIRMED_EMAIL: &str = "9d751e0e-f929-4891-82a1-a3e1c3c18ee3";
const GENERIC_EMAIL: &str = "1c8a4e52-6a43-4f58-9a5e-2f4a3c0d1b7e";
const GENERIC_SMS: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
const GENERIC_LETTER: &str = "64415853-cb86-4cc4-b597-2aaa94ef8c39";
const REPLY_TO: &str = "5e2d1f0c-8b7a-4c69-a5d4-3e2f1a0b9c8d";

/// What each stand-in template needs in its personalisation.
fn template_placeholders(id: &str) -> Option<(&'static str, &'static [&'static str])> {
    match id {
        CONFIRMED_EMAIL => Some(("email", &["subject", "body", "reference"])),
        GENERIC_EMAIL => Some(("email", &["subject", "body"])),
        GENERIC_SMS => Some(("sms", &["body"])),
        GENERIC_LETTER => Some(("letter", &["subject", "body"])),
        _ => None,
    }
}

const FILE_EXTENSIONS: [&str; 11] = [
    "csv", "doc", "docx", "jpeg", "jpg", "odt", "pdf", "png", "rtf", "txt", "xlsx",
];

#[derive(Default)]
struct Stand {
    /// (path, body) of each accepted request.
    accepted: Vec<(String, Value)>,
    /// The next answer, instead of checking and accepting.
    fail_next: Option<(StatusCode, &'static str, &'static str, Option<&'static str>)>,
    /// Notification id → status, for GET.
    statuses: HashMap<String, String>,
}

type Shared = Arc<Mutex<Stand>>;

fn error(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status_code": status.as_u16(), "errors": [{"error": name, "message": message}]})),
    )
        .into_response()
}

fn bad(name: &str, message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, name, &message.into())
}

/// Checks the bearer token as Notify does.
fn check_token(headers: &HeaderMap) -> Result<(), Response> {
    let forbidden = |m: &str| error(StatusCode::FORBIDDEN, "AuthError", m);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "AuthError",
                "Unauthorized: authentication token must be provided",
            )
        })?;
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(forbidden("Invalid token: signature, api token not found"));
    }
    let decode = |p: &str| -> Option<Value> { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok() };
    let header = decode(parts[0]).ok_or_else(|| forbidden("Invalid token: signature"))?;
    if header["alg"] != "HS256" || header["typ"] != "JWT" {
        return Err(forbidden("Invalid token: algorithm used is not HS256"));
    }
    let claims = decode(parts[1]).ok_or_else(|| forbidden("Invalid token: signature"))?;
    if claims["iss"] != SERVICE_ID {
        return Err(forbidden("Invalid token: service not found"));
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or_else(|| forbidden("Invalid token: iat field not provided"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    let sig = URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|_| forbidden("Invalid token: signature"))?;
    if mac.verify_slice(&sig).is_err() {
        return Err(forbidden("Invalid token: API key not found"));
    }
    let now = chrono::Utc::now().timestamp();
    if now > iat + 30 || iat > now + 30 {
        return Err(forbidden(
            "Error: Your system clock must be accurate to within 30 seconds",
        ));
    }
    Ok(())
}

fn check_allowed(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), Response> {
    let extra: Vec<&String> = body.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(bad(
            "ValidationError",
            format!("Additional properties are not allowed ({extra:?} was unexpected)"),
        ))
    }
}

fn require_string<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, Response> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad("ValidationError", format!("{key} is a required property")))
}

/// Checks a "send a file by email" object as Notify documents it.
fn check_file(key: &str, file: &Map<String, Value>) -> Result<(), Response> {
    check_allowed(
        file,
        &[
            "file",
            "filename",
            "confirm_email_before_download",
            "retention_period",
            "is_csv",
        ],
    )?;
    let content = file
        .get("file")
        .and_then(Value::as_str)
        .and_then(|f| STANDARD.decode(f).ok())
        .ok_or_else(|| bad("BadRequestError", format!("{key}: file is not base64 encoded")))?;
    if content.len() >= 2 * 1024 * 1024 {
        return Err(bad("BadRequestError", "File is larger than 2MB"));
    }
    if let Some(name) = file.get("filename") {
        let name = name.as_str().unwrap_or("");
        if name.chars().count() > 100 {
            return Err(bad("BadRequestError", "filename cannot be longer than 100 characters"));
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).ok_or_else(|| {
            bad(
                "BadRequestError",
                "filename must end with a file extension. For example, filename.csv",
            )
        })?;
        if !FILE_EXTENSIONS.contains(&ext.as_str()) {
            return Err(bad("BadRequestError", format!("Unsupported file type '.{ext}'")));
        }
    }
    if content.starts_with(b"BEGIN:VCALENDAR") {
        return Err(bad("BadRequestError", "Unsupported file type 'text/calendar'"));
    }
    if let Some(c) = file.get("confirm_email_before_download") {
        if !c.is_boolean() && !c.is_null() {
            return Err(bad(
                "BadRequestError",
                "Unsupported value for confirm_email_before_download",
            ));
        }
    }
    if let Some(r) = file.get("retention_period").and_then(Value::as_str) {
        let weeks = r
            .strip_suffix(" weeks")
            .or_else(|| r.strip_suffix(" week"))
            .and_then(|n| n.parse::<u32>().ok());
        if !matches!(weeks, Some(1..=78)) {
            return Err(bad(
                "BadRequestError",
                format!("Unsupported value for retention_period '{r}'"),
            ));
        }
    }
    Ok(())
}

fn check_send(kind: &str, body: &Value) -> Result<(), Response> {
    let body = body
        .as_object()
        .ok_or_else(|| bad("ValidationError", "body is not an object"))?;
    match kind {
        "email" => {
            check_allowed(
                body,
                &[
                    "email_address",
                    "template_id",
                    "personalisation",
                    "reference",
                    "email_reply_to_id",
                    "one_click_unsubscribe_url",
                ],
            )?;
            let to = require_string(body, "email_address")?;
            if !to.contains('@') {
                return Err(bad("ValidationError", "email_address Not a valid email address"));
            }
            if let Some(r) = body.get("email_reply_to_id") {
                if r.as_str() != Some(REPLY_TO) {
                    return Err(bad("BadRequestError", "email_reply_to_id does not exist in database"));
                }
            }
        }
        "sms" => {
            check_allowed(
                body,
                &[
                    "phone_number",
                    "template_id",
                    "personalisation",
                    "reference",
                    "sms_sender_id",
                ],
            )?;
            require_string(body, "phone_number")?;
        }
        _ => {
            check_allowed(body, &["template_id", "personalisation", "reference"])?;
            if body.get("personalisation").is_none() {
                return Err(bad("ValidationError", "personalisation is a required property"));
            }
        }
    }
    let template = require_string(body, "template_id")?;
    if Uuid::parse_str(template).is_err() {
        return Err(bad("ValidationError", "template_id is not a valid UUID"));
    }
    let (template_kind, needs) =
        template_placeholders(template).ok_or_else(|| bad("BadRequestError", "Template not found"))?;
    if template_kind != kind {
        return Err(bad(
            "BadRequestError",
            format!("{kind} template is not suitable for {template_kind} notification"),
        ));
    }
    if let Some(r) = body.get("reference") {
        if r.as_str().is_none_or(|r| r.len() > 1000) {
            return Err(bad("ValidationError", "reference is not a string or is too long"));
        }
    }
    let empty = Map::new();
    let p = match body.get("personalisation") {
        None => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(bad("ValidationError", "personalisation is not of type object")),
    };
    for need in needs {
        if !p.contains_key(*need) {
            return Err(bad("BadRequestError", format!("Missing personalisation: {need}")));
        }
    }
    for (k, v) in p {
        match v {
            Value::String(_) | Value::Number(_) | Value::Array(_) | Value::Null => {}
            Value::Object(file) if kind == "email" => check_file(k, file)?,
            _ => return Err(bad("BadRequestError", format!("Can only send a file by email ({k})"))),
        }
    }
    if kind == "letter" {
        let lines: Vec<&str> = (1..=7)
            .map_while(|i| p.get(&format!("address_line_{i}")).and_then(Value::as_str))
            .collect();
        if lines.is_empty() {
            return Err(bad(
                "ValidationError",
                "personalisation address_line_1 is a required property",
            ));
        }
        if lines.len() < 3 {
            return Err(bad("ValidationError", "Address must be at least 3 lines"));
        }
        if p.keys()
            .any(|k| k.starts_with("address_line_") && !(1..=lines.len()).any(|i| *k == format!("address_line_{i}")))
        {
            return Err(bad("ValidationError", "Address must be no more than 7 lines"));
        }
    }
    Ok(())
}

async fn send(
    State(stand): State<Shared>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some((status, name, message, retry_after)) = stand.lock().unwrap().fail_next.take() {
        let mut r = error(status, name, message);
        if let Some(after) = retry_after {
            r.headers_mut().insert("retry-after", after.parse().unwrap());
        }
        return r;
    }
    if let Err(r) = check_token(&headers) {
        return r;
    }
    if !["email", "sms", "letter"].contains(&kind.as_str()) {
        return error(StatusCode::NOT_FOUND, "NotFound", "not found");
    }
    if let Err(r) = check_send(&kind, &body) {
        return r;
    }
    let id = Uuid::new_v4().to_string();
    let mut s = stand.lock().unwrap();
    s.accepted.push((format!("/v2/notifications/{kind}"), body.clone()));
    s.statuses.insert(
        id.clone(),
        if kind == "letter" { "accepted" } else { "created" }.to_string(),
    );
    (
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "reference": body.get("reference"),
            "content": {"body": "…", "subject": "…"},
            "uri": format!("https://api.notifications.service.gov.uk/v2/notifications/{id}"),
            "template": {"id": body["template_id"], "version": 1, "uri": "…"},
        })),
    )
        .into_response()
}

async fn status(State(stand): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&headers) {
        return r;
    }
    if Uuid::parse_str(&id).is_err() {
        return bad("ValidationError", "id is not a valid UUID");
    }
    match stand.lock().unwrap().statuses.get(&id) {
        Some(s) => Json(json!({"id": id, "status": s, "type": "email", "reference": null})).into_response(),
        None => error(StatusCode::NOT_FOUND, "NoResultFound", "No result found"),
    }
}

/// The stand-in, serving on a fresh port; its base URL and state.
async fn stand_in() -> (String, Shared) {
    let stand: Shared = Arc::default();
    let app = Router::new()
        .route("/v2/notifications/{item}", post(send).get(status))
        .with_state(stand.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, stand)
}

fn templates() -> String {
    format!("booking_confirmed.email={CONFIRMED_EMAIL},*.email={GENERIC_EMAIL},*.sms={GENERIC_SMS},*.letter={GENERIC_LETTER}")
}

fn transport(base: &str, key: &str) -> NotifyTransport {
    let config = NotifyConfig::from_values(key, Some(base), &templates(), Some(REPLY_TO)).unwrap();
    NotifyTransport::new(config).unwrap()
}

fn good_key() -> String {
    format!("roundabout_live-{SERVICE_ID}-{SECRET}")
}

fn message(template: &str, to: Address) -> Outgoing {
    Outgoing {
        id: Uuid::new_v4(),
        template: template.into(),
        to,
        subject: "Booking confirmed".into(),
        body: "Your car is booked for Friday 14 March, 9:30am to 5pm.".into(),
        personalisation: [
            ("reference".to_string(), "RB-1234".to_string()),
            ("subject".to_string(), "Booking confirmed".to_string()),
            (
                "body".to_string(),
                "Your car is booked for Friday 14 March, 9:30am to 5pm.".to_string(),
            ),
        ]
        .into(),
        attachments: Vec::new(),
    }
}

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
