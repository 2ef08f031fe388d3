//! Sending the messages due, once each.

use std::collections::BTreeMap;

use roundabout_notify::{Address, Attachment, Channel, Delivery, Outgoing, SendError};

use super::{db, Notifier};

/// Where the sender stops for good (`NOTIFY_SEND_PAUSE`, development only):
/// the crash tests kill the gateway there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// Claimed and marked `SENDING`, not yet handed to the transport.
    BeforeSend,
    /// Accepted by the transport, its answer not yet recorded.
    AfterSend,
}

async fn pause_here(at: Pause, id: uuid::Uuid) {
    tracing::warn!(?at, notification = %id, "the sender stops here (NOTIFY_SEND_PAUSE)");
    std::future::pending::<()>().await;
}

/// The first look at a sent message's delivery, and the longest wait between looks.
const FOLLOW_FIRST_SECS: f64 = 10.0;
const FOLLOW_MAX_SECS: f64 = 3_600.0;

/// The delay before the attempt after `attempts`: 5 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> f64 {
    (5.0 * f64::from(1 << attempts.clamp(0, 10))).min(3_600.0)
}

impl Notifier {
    /// Sends (or follows) every message due now; answers how many were handled.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        while let Some(c) = db::claim_due(&self.pool, self.settings.lease.as_secs_f64()).await? {
            n += 1;
            self.handle(c).await?;
        }
        if n > 0 {
            db::forget_sent_confirmations(&self.pool).await?;
        }
        Ok(n)
    }

    async fn handle(&self, c: db::Claimed) -> anyhow::Result<()> {
        let channel = Channel::parse(&c.channel).unwrap_or(Channel::Email);
        let count = |outcome: &str| {
            self.metrics
                .outcomes
                .with_label_values(&[channel.as_str(), outcome])
                .inc()
        };
        if !c.reachable {
            count("withdrawn");
            db::give_up(
                &self.pool,
                c.id,
                "WITHDRAWN",
                "The person's account was closed before it was sent",
            )
            .await?;
            return Ok(());
        }
        let Some(transport) = self.settings.transports.for_channel(channel).cloned() else {
            count("failed");
            let why = match channel {
                Channel::Email => "No way to send email is set up (NOTIFY_API_KEY or SMTP_URL)",
                Channel::Sms => "No way to send text messages is set up (NOTIFY_API_KEY)",
                Channel::Letter => "No way to send letters is set up (NOTIFY_API_KEY)",
            };
            db::give_up(&self.pool, c.id, "FAILED", why).await?;
            return Ok(());
        };
        // Sent before: follow its delivery.
        if c.status == "SENT" {
            let Some(tid) = c.transport_id.as_deref() else {
                db::mark_delivery(&self.pool, c.id, None).await?;
                return Ok(());
            };
            match transport.status(tid).await {
                Ok(Delivery::Delivered) => {
                    count("delivered");
                    db::mark_delivery(&self.pool, c.id, None).await?;
                }
                Ok(Delivery::Failed(why)) => {
                    count("failed");
                    db::mark_delivery(&self.pool, c.id, Some(&why)).await?;
                }
                Ok(Delivery::Pending) | Err(_) => {
                    let wait = (FOLLOW_FIRST_SECS * f64::from(1 << c.attempts.clamp(0, 10))).min(FOLLOW_MAX_SECS);
                    db::retry_later(&self.pool, c.id, false, "Delivery not yet known", wait).await?;
                }
            }
            return Ok(());
        }
        let msg = outgoing(&c)?;
        // In doubt — claimed before and never recorded (its sender died
        // between claiming and recording the answer), or an attempt whose
        // outcome was unclear (a timeout): ask the transport first.
        if c.status == "SENDING" {
            if let Ok(Some(found)) = transport.find(&msg).await {
                count("sent");
                let follow = if found.delivered { 0.0 } else { FOLLOW_FIRST_SECS };
                db::mark_sent(
                    &self.pool,
                    c.id,
                    transport.name(),
                    &found.transport_id,
                    found.delivered,
                    follow,
                )
                .await?;
                return Ok(());
            }
        }
        if self.settings.pause == Some(Pause::BeforeSend) {
            pause_here(Pause::BeforeSend, c.id).await;
        }
        let result = transport.send(&msg).await;
        if result.is_ok() && self.settings.pause == Some(Pause::AfterSend) {
            pause_here(Pause::AfterSend, c.id).await;
        }
        match result {
            Ok(sent) => {
                count(if sent.delivered { "delivered" } else { "sent" });
                db::mark_sent(
                    &self.pool,
                    c.id,
                    transport.name(),
                    &sent.transport_id,
                    sent.delivered,
                    FOLLOW_FIRST_SECS,
                )
                .await?;
            }
            Err(SendError::Permanent { reason }) => {
                count("failed");
                tracing::warn!(notification = %c.id, %reason, "message refused; not sent");
                db::give_up(&self.pool, c.id, "FAILED", &reason).await?;
            }
            Err(SendError::Retry { reason, after }) => {
                if c.attempts + 1 >= self.settings.max_attempts {
                    count("failed");
                    tracing::warn!(notification = %c.id, %reason, "message not sent after every attempt");
                    db::give_up(
                        &self.pool,
                        c.id,
                        "FAILED",
                        &format!("Not sent after {} attempts: {reason}", c.attempts + 1),
                    )
                    .await?;
                } else {
                    count("retried");
                    let wait = after.map_or(backoff(c.attempts), |d| d.as_secs_f64().max(backoff(c.attempts)));
                    db::retry_later(&self.pool, c.id, false, &reason, wait).await?;
                }
            }
        }
        Ok(())
    }
}

/// The message as a transport takes it.
fn outgoing(c: &db::Claimed) -> anyhow::Result<Outgoing> {
    let to: Address = serde_json::from_value(c.address.clone())?;
    let personalisation: BTreeMap<String, String> = serde_json::from_value(c.personalisation.clone())?;
    let attachments: Vec<Attachment> = serde_json::from_value(c.attachments.clone())?;
    Ok(Outgoing {
        id: c.id,
        template: c.template.clone(),
        to,
        subject: c.subject.clone(),
        body: c.body.clone(),
        personalisation,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(0), 5.0);
        assert_eq!(backoff(2), 20.0);
        assert_eq!(backoff(40), 3_600.0);
    }
}
