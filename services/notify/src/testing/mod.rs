//! A stand-in GOV.UK Notify server for tests (feature `testing`): axum on
//! 127.0.0.1:0, checking what Notify documents — the JSON Web Token (HS256
//! with the key's secret, `iss` the service id, `iat` within 30 seconds),
//! each endpoint's required and allowed fields, the template ids, the
//! personalisation a template needs, a file's fields — answering with
//! Notify's documented errors when told to, and finding a message by its
//! reference as Notify's API does.

// The stand-in's checks return the HTTP answer itself as their error, and
// a poisoned lock in a test stand-in is a failed test.
#![allow(clippy::result_large_err, clippy::unwrap_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::{
    govuk_notify::{NotifyConfig, NotifyTransport},
    Address, Outgoing,
};
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use uuid::Uuid;

pub const SERVICE_ID: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
pub const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
pub const CONFIRMED_EMAIL: &str = "9d751e0e-f929-4891-82a1-a3e1c3c18ee3";
pub const GENERIC_EMAIL: &str = "1c8a4e52-6a43-4f58-9a5e-2f4a3c0d1b7e";
pub const GENERIC_SMS: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
pub const GENERIC_LETTER: &str = "64415853-cb86-4cc4-b597-2aaa94ef8c39";
pub const REPLY_TO: &str = "5e2d1f0c-8b7a-4c69-a5d4-3e2f1a0b9c8d";

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
pub struct Stand {
    /// (path, body) of each accepted request.
    pub accepted: Vec<(String, Value)>,
    /// The next answer, instead of checking and accepting.
    pub fail_next: Option<(StatusCode, &'static str, &'static str, Option<&'static str>)>,
    /// Notification id → status, for GET.
    pub statuses: HashMap<String, String>,
    /// The `reference` each notification was sent with → its id.
    pub references: HashMap<String, String>,
}

pub mod smtp_sink;

pub type Shared = Arc<Mutex<Stand>>;

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
    if let Some(r) = body.get("reference").and_then(Value::as_str) {
        s.references.insert(r.to_string(), id.clone());
    }
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

/// `GET /v2/notifications?reference=`: the notifications sent with that
/// reference (Notify's "get the status of multiple messages").
async fn list(State(stand): State<Shared>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if let Err(r) = check_token(&headers) {
        return r;
    }
    let s = stand.lock().unwrap();
    let found: Vec<Value> = q
        .get("reference")
        .and_then(|r| s.references.get(r).map(|id| (r, id)))
        .map(|(r, id)| json!({"id": id, "reference": r, "status": s.statuses[id], "type": "email"}))
        .into_iter()
        .collect();
    Json(json!({"notifications": found, "links": {}})).into_response()
}

/// The stand-in, serving on a fresh port; its base URL and state.
pub async fn stand_in() -> (String, Shared) {
    let stand: Shared = Arc::default();
    let app = Router::new()
        .route("/v2/notifications", get(list))
        .route("/v2/notifications/{item}", post(send).get(status))
        .with_state(stand.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, stand)
}

pub fn templates() -> String {
    format!("booking_confirmed.email={CONFIRMED_EMAIL},*.email={GENERIC_EMAIL},*.sms={GENERIC_SMS},*.letter={GENERIC_LETTER}")
}

pub fn transport(base: &str, key: &str) -> NotifyTransport {
    let config = NotifyConfig::from_values(key, Some(base), &templates(), Some(REPLY_TO)).unwrap();
    NotifyTransport::new(config).unwrap()
}

pub fn good_key() -> String {
    format!("roundabout_live-{SERVICE_ID}-{SECRET}")
}

pub fn message(template: &str, to: Address) -> Outgoing {
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
