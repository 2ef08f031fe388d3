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
mod tests;
