//! GOV.UK Notify ([`NotifyTransport`]): email, text messages and letters
//! through Notify's REST API v2.
//!
//! Every request carries a fresh JSON Web Token (HS256 over
//! `{"iss": service id, "iat": now}` with the API key's secret), which
//! Notify accepts for 30 seconds. A message's `reference` is Roundabout's
//! notification id, so Notify's records and delivery receipts name it.
//!
//! Notify's answers map onto [`SendError`]: 429 (`RateLimitError`,
//! `TooManyRequestsError`), 5xx and network trouble are worth trying again;
//! 400 and 403 (`BadRequestError`, `ValidationError`, `AuthError`) are not.
//!
//! Files: Notify's "send a file by email" takes only .csv, .doc, .docx,
//! .jpeg, .jpg, .odt, .pdf, .png, .rtf, .txt and .xlsx, checking the file
//! name's extension and the content itself, under 2 MB. A calendar entry
//! (`text/calendar`, `.ics`) is refused whatever it is called, so an email's
//! `.ics` attachment is left out (logged) rather than failing the email;
//! the booking's times are in the message body. Files Notify accepts go
//! as personalisation `link_to_file` (then `link_to_file_2`, …), which the
//! template places with `((link_to_file))`.

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::{Address, Attachment, Channel, Delivery, Outgoing, SendError, Sent, Transport, TransportFuture};

/// Notify's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.notifications.service.gov.uk";
/// How long one request to Notify may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Notify's limit on a file sent by email: it must be smaller than 2 MB.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;
/// Notify's limit on a file's name.
pub const MAX_FILENAME_CHARS: usize = 100;
/// The file extensions Notify's "send a file by email" accepts.
pub const FILE_EXTENSIONS: [&str; 11] = [
    "csv", "doc", "docx", "jpeg", "jpg", "odt", "pdf", "png", "rtf", "txt", "xlsx",
];
/// Letters: Notify takes 3 to 7 address lines, the last the postcode.
pub const MAX_ADDRESS_LINES: usize = 7;
pub const MIN_ADDRESS_LINES: usize = 3;

mod config;
mod receipts;

pub use config::*;
pub use receipts::*;

/// One request to Notify: the path under the base URL and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyRequest {
    /// `/v2/notifications/email`, `/sms` or `/letter`.
    pub path: &'static str,
    pub body: Value,
}

/// Builds the request that sends `msg`: the template chosen by kind and
/// channel, the personalisation (always `subject` and `body`, a letter's
/// `address_line_1`…, a file's `link_to_file`) and `reference` = the
/// notification id.
pub fn request_for(config: &NotifyConfig, msg: &Outgoing) -> Result<NotifyRequest, SendError> {
    let channel = msg.to.channel();
    let template_id = config.templates.for_message(&msg.template, channel).ok_or_else(|| {
        permanent(format!(
            "NOTIFY_TEMPLATES has no {}.{} nor *.{} template",
            msg.template,
            channel_key(channel),
            channel_key(channel)
        ))
    })?;
    let mut personalisation: Map<String, Value> = msg
        .personalisation
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    personalisation
        .entry("subject")
        .or_insert_with(|| Value::String(msg.subject.clone()));
    personalisation
        .entry("body")
        .or_insert_with(|| Value::String(msg.body.clone()));
    let mut body = Map::new();
    let path = match &msg.to {
        Address::Email { email } => {
            body.insert("email_address".into(), json!(email.trim()));
            add_files(config, msg, &mut personalisation)?;
            if let Some(id) = config.email_reply_to_id {
                body.insert("email_reply_to_id".into(), json!(id.to_string()));
            }
            "/v2/notifications/email"
        }
        Address::Sms { phone } => {
            body.insert("phone_number".into(), json!(phone.trim()));
            "/v2/notifications/sms"
        }
        Address::Letter { lines, postcode } => {
            let mut all: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            all.push(postcode.trim());
            if all.len() > MAX_ADDRESS_LINES || all.len() < MIN_ADDRESS_LINES {
                return Err(permanent(format!(
                    "a letter's address must have {MIN_ADDRESS_LINES} to {MAX_ADDRESS_LINES} lines with the postcode; this one has {}",
                    all.len()
                )));
            }
            for (i, line) in all.iter().enumerate() {
                personalisation.insert(format!("address_line_{}", i + 1), json!(line));
            }
            "/v2/notifications/letter"
        }
    };
    body.insert("template_id".into(), json!(template_id.to_string()));
    body.insert("personalisation".into(), Value::Object(personalisation));
    body.insert("reference".into(), json!(msg.id.to_string()));
    Ok(NotifyRequest {
        path,
        body: Value::Object(body),
    })
}

/// Adds the files Notify accepts as `link_to_file`, `link_to_file_2`, …;
/// leaves out (and logs) those it would refuse, such as a calendar entry.
fn add_files(config: &NotifyConfig, msg: &Outgoing, personalisation: &mut Map<String, Value>) -> Result<(), SendError> {
    let mut n = 0;
    for a in &msg.attachments {
        if !notify_accepts(a) {
            tracing::warn!(
                notification = %msg.id,
                filename = %a.filename,
                content_type = %a.content_type,
                "GOV.UK Notify does not take this kind of file; sending the email without it"
            );
            continue;
        }
        if a.content.len() >= MAX_FILE_BYTES {
            return Err(permanent(format!("{} is larger than Notify's 2 MB limit", a.filename)));
        }
        if a.filename.chars().count() > MAX_FILENAME_CHARS {
            return Err(permanent(format!(
                "a file name is longer than Notify's {MAX_FILENAME_CHARS} characters"
            )));
        }
        n += 1;
        let key = if n == 1 {
            "link_to_file".to_string()
        } else {
            format!("link_to_file_{n}")
        };
        personalisation.insert(
            key,
            json!({
                "file": STANDARD.encode(&a.content),
                "filename": a.filename,
                "confirm_email_before_download": config.confirm_email_before_download,
                "retention_period": config.file_retention_period,
            }),
        );
    }
    Ok(())
}

/// Whether Notify's "send a file by email" takes `a`: by its extension and
/// its content type (Notify detects the type from the content too, so a
/// calendar entry is refused under any name).
pub fn notify_accepts(a: &Attachment) -> bool {
    let ext_ok = a
        .filename
        .rsplit_once('.')
        .map(|(_, ext)| FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        .unwrap_or(false);
    let essence = a
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ext_ok && essence != "text/calendar"
}

fn channel_key(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Sms => "sms",
        Channel::Letter => "letter",
    }
}

fn permanent(reason: impl Into<String>) -> SendError {
    SendError::Permanent { reason: reason.into() }
}

/// Notify's error answer: `{"status_code": 400, "errors": [{"error", "message"}]}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
struct ErrorItem {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// Maps a non-success answer to a [`SendError`]: 429 and 5xx are worth
/// trying again (after `Retry-After` if given), anything else is not.
pub fn error_from_response(status: StatusCode, retry_after: Option<&str>, body: &[u8]) -> SendError {
    let detail = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if !e.errors.is_empty() => e
            .errors
            .iter()
            .map(|i| format!("{}: {}", i.error, i.message))
            .collect::<Vec<_>>()
            .join("; "),
        _ => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(200).collect();
            if text.trim().is_empty() {
                "no details".to_string()
            } else {
                text
            }
        }
    };
    let reason = format!("GOV.UK Notify answered {}: {detail}", status.as_u16());
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SendError::Retry {
            reason,
            after: retry_after.and_then(parse_retry_after),
        }
    } else {
        SendError::Permanent { reason }
    }
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// What a Notify status means for Roundabout. Unknown statuses count as
/// still on the way.
pub fn delivery_from_status(status: &str) -> Delivery {
    match status {
        // Sent to an international number (no further news will come) and
        // a letter printed and posted both count as delivered.
        "delivered" | "sent" | "received" => Delivery::Delivered,
        "permanent-failure" => Delivery::Failed("the address or number is wrong or does not exist".into()),
        "temporary-failure" => Delivery::Failed("the inbox or phone did not accept it (full, off or filtered)".into()),
        "technical-failure" => Delivery::Failed("GOV.UK Notify could not pass it to its provider".into()),
        "cancelled" => Delivery::Failed("the letter was cancelled".into()),
        "validation-failed" => Delivery::Failed("the letter failed Notify's checks".into()),
        "virus-scan-failed" => Delivery::Failed("the letter failed Notify's virus scan".into()),
        _ => Delivery::Pending,
    }
}

/// Sends through GOV.UK Notify.
#[derive(Debug)]
pub struct NotifyTransport {
    config: NotifyConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct NotificationData {
    #[serde(default)]
    id: String,
    status: String,
}

impl NotifyTransport {
    pub fn new(config: NotifyConfig) -> Result<Self, NotifyConfigError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5).min(config.timeout))
            .user_agent(concat!("roundabout-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyConfigError::Client(e.to_string()))?;
        Ok(Self { config, http })
    }

    pub fn config(&self) -> &NotifyConfig {
        &self.config
    }

    fn url(&self, path: &str) -> Result<Url, SendError> {
        self.config
            .base_url
            .join(path)
            .map_err(|_| permanent("could not form the Notify URL"))
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.config.api_key.token(chrono::Utc::now().timestamp()))
    }

    /// Sends a request and reads a success answer as JSON of type `T`.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        expected: StatusCode,
    ) -> Result<T, SendError> {
        let response = request
            .header(reqwest::header::AUTHORIZATION, self.bearer())
            .send()
            .await
            .map_err(network_error)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(network_error)?;
        if status != expected {
            return Err(error_from_response(status, retry_after.as_deref(), &body));
        }
        serde_json::from_slice(&body).map_err(|e| SendError::Retry {
            reason: format!("GOV.UK Notify's answer could not be read: {e}"),
            after: None,
        })
    }

    async fn send_once(&self, msg: &Outgoing) -> Result<Sent, SendError> {
        let req = request_for(&self.config, msg)?;
        let created: Created = self
            .call(self.http.post(self.url(req.path)?).json(&req.body), StatusCode::CREATED)
            .await?;
        Ok(Sent {
            transport_id: created.id,
            delivered: false,
        })
    }

    async fn status_of(&self, id: &str) -> Result<Delivery, SendError> {
        let id = Uuid::parse_str(id).map_err(|_| permanent("a Notify notification id is a UUID"))?;
        let data: NotificationData = self
            .call(
                self.http.get(self.url(&format!("/v2/notifications/{id}"))?),
                StatusCode::OK,
            )
            .await?;
        Ok(delivery_from_status(&data.status))
    }

    /// The notification sent with `reference` (Roundabout's id of the
    /// message), if Notify has one: `GET /v2/notifications?reference=`.
    async fn find_by_reference(&self, msg: &Outgoing) -> Result<Option<Sent>, SendError> {
        #[derive(Deserialize)]
        struct Page {
            notifications: Vec<NotificationData>,
        }
        let mut url = self.url("/v2/notifications")?;
        url.query_pairs_mut().append_pair("reference", &msg.id.to_string());
        let page: Page = self.call(self.http.get(url), StatusCode::OK).await?;
        Ok(page.notifications.into_iter().next().map(|n| Sent {
            delivered: delivery_from_status(&n.status) == Delivery::Delivered,
            transport_id: n.id,
        }))
    }
}

/// Timeouts and connection failures may pass; a request that could not be
/// formed will not.
fn network_error(e: reqwest::Error) -> SendError {
    if e.is_builder() {
        permanent(format!("could not form the request to GOV.UK Notify: {e}"))
    } else {
        SendError::Retry {
            reason: format!("could not reach GOV.UK Notify: {e}"),
            after: None,
        }
    }
}

impl Transport for NotifyTransport {
    fn name(&self) -> &'static str {
        "notify"
    }

    fn handles(&self, channel: Channel) -> bool {
        self.config.templates.has_channel(channel)
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> TransportFuture<'a, Sent> {
        Box::pin(self.send_once(msg))
    }

    fn status<'a>(&'a self, transport_id: &'a str) -> TransportFuture<'a, Delivery> {
        Box::pin(self.status_of(transport_id))
    }

    fn find<'a>(&'a self, msg: &'a Outgoing) -> TransportFuture<'a, Option<Sent>> {
        Box::pin(self.find_by_reference(msg))
    }
}
#[cfg(test)]
mod tests {
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
        let null_ref = br#"{"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":null,"to":"07700900123","status":"delivered"}"#;
        let r = parse_delivery_receipt(null_ref).unwrap();
        assert_eq!((r.reference, r.delivery), (None, Delivery::Delivered));
    }
}
