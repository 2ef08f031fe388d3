//! Sending one notification to one person: what the message is
//! ([`Outgoing`]), where it goes ([`Address`]) and the transports that
//! deliver it ([`Transport`]).
//!
//! This crate keeps nothing: recording a notification before it is sent,
//! retrying it and marking it delivered belong to the gateway's
//! notifications module (`graphql/src/notify/`). A transport's answer says
//! whether trying again could help ([`SendError::Retry`]) or not
//! ([`SendError::Permanent`]).
//!
//! # Transports
//!
//! * [`govuk_notify::NotifyTransport`] (`notify`): GOV.UK Notify's REST API
//!   v2 for email, text messages and letters. Accepted messages are
//!   followed up by [`Transport::status`] or by Notify's delivery-receipt
//!   callback ([`govuk_notify::verify_delivery_receipt`]). Notify does not
//!   take calendar files, so an email's `.ics` is left out there.
//! * [`smtp::SmtpTransport`] (`smtp`): email through an SMTP relay, with the
//!   calendar entry attached; the relay's acceptance counts as delivered.
//!
//! [`ics::booking_attachment`] makes a booking's calendar entry.
//!
//! # Configuration
//!
//! | Variable | Meaning |
//! | --- | --- |
//! | `NOTIFY_API_KEY` | Notify API key `{key_name}-{service_id}-{secret_key}` |
//! | `NOTIFY_BASE_URL` | optional; default `https://api.notifications.service.gov.uk` (http only for localhost) |
//! | `NOTIFY_TEMPLATES` | `kind.channel=<uuid>,…`, channel `email`/`sms`/`letter`; kind `*` is the generic template (subject `((subject))`, body `((body))`) |
//! | `NOTIFY_EMAIL_REPLY_TO_ID` | optional reply-to address id for emails |
//! | `SMTP_URL` | `smtp://user:pass@host:587` (STARTTLS required unless the host is this machine), `smtps://…` (implicit TLS), `smtp://127.0.0.1:2525` (plain, local only) |
//! | `SMTP_FROM` | the From mailbox, `West Oxfordshire Council <noreply@westoxon.example>` |
//!
//! [`govuk_notify::NotifyConfig::from_values`] and
//! [`smtp::SmtpConfig::from_values`] parse these from strings;
//! their `from_env` read the variables. Errors never echo a key or password.

use std::{collections::BTreeMap, future::Future, pin::Pin, time::Duration};

use serde::{Deserialize, Serialize};

pub mod govuk_notify;
pub mod ics;
pub mod smtp;
#[cfg(feature = "testing")]
pub mod testing;

pub use govuk_notify::{NotifyConfig, NotifyTransport};
pub use smtp::{SmtpConfig, SmtpTransport};

/// How a person hears from Roundabout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    Email,
    Sms,
    Letter,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "EMAIL",
            Channel::Sms => "SMS",
            Channel::Letter => "LETTER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EMAIL" => Some(Channel::Email),
            "SMS" => Some(Channel::Sms),
            "LETTER" => Some(Channel::Letter),
            _ => None,
        }
    }
}

/// Where one message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Address {
    Email {
        email: String,
    },
    /// A UK mobile number as the person gave it.
    Sms {
        phone: String,
    },
    /// Up to six lines above the postcode (GOV.UK Notify's limit is seven
    /// lines in all, the last being the postcode).
    Letter {
        lines: Vec<String>,
        postcode: String,
    },
}

impl Address {
    pub fn channel(&self) -> Channel {
        match self {
            Address::Email { .. } => Channel::Email,
            Address::Sms { .. } => Channel::Sms,
            Address::Letter { .. } => Channel::Letter,
        }
    }
}

/// A file sent with an email: a booking's calendar entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `booking-RB-1234.ics`
    pub filename: String,
    /// `text/calendar; method=PUBLISH`
    pub content_type: String,
    pub content: Vec<u8>,
}

/// One message to one person, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Roundabout's id of this notification: the same on every attempt, so
    /// a transport that deduplicates (Notify's `reference`, an email's
    /// `Message-ID`) sees a retry as the same message.
    pub id: uuid::Uuid,
    /// What kind of message (`booking_confirmed`, `booking_reminder`, …):
    /// chooses the GOV.UK Notify template.
    pub template: String,
    pub to: Address,
    /// The email's subject or the letter's heading; unused for SMS.
    pub subject: String,
    /// The message in plain text, paragraphs separated by blank lines
    /// (GOV.UK Notify's markdown-like formatting: `#` headings, `*` lists).
    pub body: String,
    /// The named fields of the message, for templates that place them
    /// (`reference`, `pickup_date`, …). Always holds `subject` and `body`.
    pub personalisation: BTreeMap<String, String>,
    /// Only for email.
    pub attachments: Vec<Attachment>,
}

/// A transport accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The transport's id of the message (Notify's notification id, the
    /// SMTP server's queue answer or the Message-ID).
    pub transport_id: String,
    /// True when the transport's answer already means delivered (SMTP
    /// accepted it); false when delivery is followed later ([`Transport::status`]).
    pub delivered: bool,
}

/// What became of a message a transport accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Still on its way (Notify: created, sending, pending, accepted…).
    Pending,
    Delivered,
    /// It will not arrive; the reason in plain words.
    Failed(String),
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again: a timeout, a refused connection, a 5xx or a
    /// rate limit (with the wait the transport asked for, if any).
    #[error("could not send yet: {reason}")]
    Retry { reason: String, after: Option<Duration> },
    /// Trying again will not help: a bad address, a refused key, a template
    /// missing from the configuration.
    #[error("cannot send: {reason}")]
    Permanent { reason: String },
}

pub type TransportFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SendError>> + Send + 'a>>;

/// A way of delivering messages (GOV.UK Notify, SMTP, the demo mailbox).
pub trait Transport: Send + Sync {
    /// `notify`, `smtp`, `mailbox`: recorded with each message sent.
    fn name(&self) -> &'static str;
    /// Whether this transport can deliver on `channel`.
    fn handles(&self, channel: Channel) -> bool;
    /// Sends `msg` once. The caller has recorded it first and retries on
    /// [`SendError::Retry`] with the same `msg.id`.
    fn send<'a>(&'a self, msg: &'a Outgoing) -> TransportFuture<'a, Sent>;
    /// Whether the transport already has `msg` (by its id): asked before a
    /// message whose earlier attempt may have reached the transport is sent
    /// again. `None` when it has not, or when the transport cannot tell.
    fn find<'a>(&'a self, _msg: &'a Outgoing) -> TransportFuture<'a, Option<Sent>> {
        Box::pin(async { Ok(None) })
    }
    /// What became of a message sent earlier with [`Sent::delivered`] false.
    fn status<'a>(&'a self, _transport_id: &'a str) -> TransportFuture<'a, Delivery> {
        Box::pin(async { Ok(Delivery::Delivered) })
    }
}
