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
///
/// - `NOTIFY_API_KEY` (with `NOTIFY_TEMPLATES`): GOV.UK Notify for every
///   channel it has templates for;
/// - `SMTP_URL` (with `SMTP_FROM`): email by SMTP — also when Notify is set
///   up, because only SMTP carries a booking's calendar entry (Notify
///   refuses `.ics` files);
/// - neither: the demo mailbox outside production; in production nothing
///   can be sent, and a warning says so.
pub fn from_env(
    environment: &roundabout_support::config::Environment,
) -> Result<Transports, roundabout_support::config::ConfigError> {
    use roundabout_support::config::{optional, ConfigError};
    // Each may come from a file (`NOTIFY_API_KEY_FILE`, …: a mounted secret).
    let notify = match optional("NOTIFY_API_KEY")? {
        None => None,
        Some(key) => {
            let config = roundabout_notify::NotifyConfig::from_values(
                key.trim(),
                optional("NOTIFY_BASE_URL")?.as_deref(),
                &optional("NOTIFY_TEMPLATES")?.unwrap_or_default(),
                optional("NOTIFY_EMAIL_REPLY_TO_ID")?.as_deref(),
            )
            .map_err(|e| ConfigError::new("NOTIFY_API_KEY", e.to_string()))?;
            let t = roundabout_notify::NotifyTransport::new(config)
                .map_err(|e| ConfigError::new("NOTIFY_API_KEY", e.to_string()))?;
            Some(Arc::new(t) as Arc<dyn Transport>)
        }
    };
    let smtp = match optional("SMTP_URL")? {
        None => None,
        Some(url) => {
            let from = optional("SMTP_FROM")?.unwrap_or_default();
            let config = roundabout_notify::SmtpConfig::from_values(url.trim(), &from)
                .map_err(|e| ConfigError::new("SMTP_URL", e.to_string()))?;
            let t = roundabout_notify::SmtpTransport::new(&config)
                .map_err(|e| ConfigError::new("SMTP_URL", e.to_string()))?;
            Some(Arc::new(t) as Arc<dyn Transport>)
        }
    };
    if notify.is_none() && smtp.is_none() {
        if environment.is_production() {
            tracing::warn!("neither NOTIFY_API_KEY nor SMTP_URL is set: no message can be sent");
            return Ok(Transports::default());
        }
        return Ok(Transports::mailbox());
    }
    let by_notify = |channel: Channel| notify.clone().filter(|t| t.handles(channel));
    Ok(Transports {
        email: smtp.or_else(|| by_notify(Channel::Email)),
        sms: by_notify(Channel::Sms),
        letter: by_notify(Channel::Letter),
    })
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

/// The calendar entry sent with a booking's confirmation: the hire's
/// period, or a lease's first day, at the provider's pick-up address.
pub fn booking_calendar(facts: &BookingFacts<'_>) -> Vec<Attachment> {
    let b = facts.event;
    let (start, end) = match b.kind {
        roundabout_api::states::BookingKind::Hire => (b.start_at, b.end_at),
        roundabout_api::states::BookingKind::Lease => (b.start_at, b.start_at + chrono::Duration::hours(1)),
    };
    let vehicle = format!("{} {}", facts.vehicle.make, facts.vehicle.model);
    let entry = roundabout_notify::ics::BookingEvent {
        reference: b.reference(),
        uid: format!("{}@roundabout", b.booking_id),
        summary: format!("Pick up {vehicle} (booking {})", b.reference()),
        description: format!(
            "Booking reference {}. Bring your driving licence. {} arranged this through {}.",
            b.reference(),
            facts.provider.name,
            facts.council.name
        ),
        location: facts.provider.pickup_address.clone().unwrap_or_default(),
        start,
        end,
        organiser: facts
            .provider
            .contact_email
            .clone()
            .map(|email| roundabout_notify::ics::Organiser {
                name: Some(facts.provider.name.clone()),
                email,
            }),
    };
    vec![roundabout_notify::ics::booking_attachment(&entry)]
}
