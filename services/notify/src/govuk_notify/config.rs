//! GOV.UK Notify's configuration: the API key (and the token it signs),
//! the template of each message, where Notify is.

use std::{collections::BTreeMap, fmt, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use reqwest::Url;
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::Channel;

use super::{DEFAULT_BASE_URL, DEFAULT_TIMEOUT};

/// A Notify API key, `{key_name}-{service_id}-{secret_key}`: the service id
/// is the 36 characters before the last 37, the secret the last 36.
/// `Debug` shows the service id only.
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyApiKey {
    pub service_id: String,
    pub(super) secret: String,
}

impl fmt::Debug for NotifyApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyApiKey")
            .field("service_id", &self.service_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl NotifyApiKey {
    /// Splits an API key. Both parts must be UUIDs, as Notify issues them.
    pub fn parse(key: &str) -> Result<Self, NotifyConfigError> {
        let key = key.trim();
        let n = key.len();
        if n < 73 {
            return Err(NotifyConfigError::ApiKey);
        }
        let service_id = key.get(n - 73..n - 37).ok_or(NotifyConfigError::ApiKey)?;
        let secret = key.get(n - 36..).ok_or(NotifyConfigError::ApiKey)?;
        let separator = key.get(n - 37..n - 36);
        if separator != Some("-") || Uuid::parse_str(service_id).is_err() || Uuid::parse_str(secret).is_err() {
            return Err(NotifyConfigError::ApiKey);
        }
        Ok(Self {
            service_id: service_id.to_string(),
            secret: secret.to_string(),
        })
    }

    /// The bearer token for a request made at `iat` (epoch seconds).
    pub fn token(&self, iat: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(json!({"iss": self.service_id, "iat": iat}).to_string());
        let signing_input = format!("{header}.{claims}");
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(self.secret.as_bytes(), signing_input.as_bytes()));
        format!("{signing_input}.{signature}")
    }
}

/// HMAC-SHA256 (RFC 2104) of `data` under `key`.
pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length; the constructor's error cannot occur.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The Notify template for each kind of message and channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates(BTreeMap<(String, Channel), Uuid>);

impl Templates {
    /// Parses `NOTIFY_TEMPLATES`: comma-separated `kind.channel=<uuid>`,
    /// channel `email`, `sms` or `letter`; kind `*` is the generic template
    /// of that channel, whose subject is `((subject))` and body `((body))`.
    pub fn parse(s: &str) -> Result<Self, NotifyConfigError> {
        let mut map = BTreeMap::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || NotifyConfigError::Template(entry.to_string());
            let (key, id) = entry.split_once('=').ok_or_else(bad)?;
            let (kind, channel) = key.trim().rsplit_once('.').ok_or_else(bad)?;
            let channel = match channel {
                "email" => Channel::Email,
                "sms" => Channel::Sms,
                "letter" => Channel::Letter,
                _ => return Err(bad()),
            };
            if kind.is_empty() {
                return Err(bad());
            }
            let id = Uuid::parse_str(id.trim()).map_err(|_| bad())?;
            map.insert((kind.to_string(), channel), id);
        }
        Ok(Self(map))
    }

    /// The template for `kind` on `channel`, else the channel's generic one.
    pub fn for_message(&self, kind: &str, channel: Channel) -> Option<Uuid> {
        self.0
            .get(&(kind.to_string(), channel))
            .or_else(|| self.0.get(&("*".to_string(), channel)))
            .copied()
    }

    /// Whether any template serves `channel`.
    pub fn has_channel(&self, channel: Channel) -> bool {
        self.0.keys().any(|(_, c)| *c == channel)
    }
}

/// How to reach Notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub api_key: NotifyApiKey,
    pub base_url: Url,
    pub templates: Templates,
    /// Notify's id of the reply-to address for emails, when not the default.
    pub email_reply_to_id: Option<Uuid>,
    pub timeout: Duration,
    /// Whether a file's recipient must type their email address before
    /// downloading it (Notify's default; its guidance is to keep it for
    /// files holding personal details).
    pub confirm_email_before_download: bool,
    /// How long a file stays downloadable: `1 week` to `78 weeks`.
    pub file_retention_period: String,
}

/// Why the Notify configuration was not accepted. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyConfigError {
    #[error("NOTIFY_API_KEY is not a GOV.UK Notify API key ({{key_name}}-{{service_id}}-{{secret_key}})")]
    ApiKey,
    #[error("NOTIFY_BASE_URL must be an https URL (http only for this machine)")]
    BaseUrl,
    #[error("NOTIFY_TEMPLATES entry `{0}` is not kind.channel=<template uuid> (channel email, sms or letter)")]
    Template(String),
    #[error("NOTIFY_EMAIL_REPLY_TO_ID is not a UUID")]
    ReplyTo,
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

impl NotifyConfig {
    /// Reads `NOTIFY_API_KEY`, `NOTIFY_BASE_URL`, `NOTIFY_TEMPLATES` and
    /// `NOTIFY_EMAIL_REPLY_TO_ID`; `None` when `NOTIFY_API_KEY` is not set.
    pub fn from_env() -> Option<Result<Self, NotifyConfigError>> {
        let key = std::env::var("NOTIFY_API_KEY").ok()?;
        let base = std::env::var("NOTIFY_BASE_URL").ok();
        let templates = std::env::var("NOTIFY_TEMPLATES").unwrap_or_default();
        let reply_to = std::env::var("NOTIFY_EMAIL_REPLY_TO_ID").ok();
        Some(Self::from_values(
            &key,
            base.as_deref(),
            &templates,
            reply_to.as_deref(),
        ))
    }

    /// Parses the configuration from its variables' values. Empty
    /// `base_url` or `email_reply_to_id` count as not given.
    pub fn from_values(
        api_key: &str,
        base_url: Option<&str>,
        templates: &str,
        email_reply_to_id: Option<&str>,
    ) -> Result<Self, NotifyConfigError> {
        let api_key = NotifyApiKey::parse(api_key)?;
        let base = base_url
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(DEFAULT_BASE_URL);
        let base_url = Url::parse(base).map_err(|_| NotifyConfigError::BaseUrl)?;
        let local = base_url.host_str().is_some_and(|h| {
            h.eq_ignore_ascii_case("localhost")
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        match base_url.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Err(NotifyConfigError::BaseUrl),
        }
        let email_reply_to_id = match email_reply_to_id.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Uuid::parse_str(s).map_err(|_| NotifyConfigError::ReplyTo)?),
        };
        Ok(Self {
            api_key,
            base_url,
            templates: Templates::parse(templates)?,
            email_reply_to_id,
            timeout: DEFAULT_TIMEOUT,
            confirm_email_before_download: true,
            file_retention_period: "26 weeks".to_string(),
        })
    }
}
