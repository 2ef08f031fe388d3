//! Taking the services' events and writing the messages they cause.

use chrono::Utc;
use roundabout_api::{
    eligibility::CouncilData,
    events::{kinds, BookingEvent, EventData, EventsAck, EventsPage},
    inventory::{ProviderData, VehicleData},
    routes,
    states::BookingKind,
};
use roundabout_notify::{Address, Channel};
use roundabout_support::{client::ServiceClient, internal_auth::Caller};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    db::{self, NewNotification},
    messages::{BookingFacts, Template, Written},
    Notifier,
};

/// Events read from one service at a time.
const PAGE: i64 = 100;

impl Notifier {
    /// Reads each publishing service's events and records them; one
    /// gateway replica at a time (the others would only find them recorded).
    pub async fn intake_once(&self) -> anyhow::Result<usize> {
        let taken = roundabout_support::exclusive::run(&self.pool, "gateway.notify.intake", async {
            let mut n = 0;
            for source in [&self.services.bookings] {
                n += self.take_from(source).await?;
            }
            Ok::<_, anyhow::Error>(n)
        })
        .await?;
        Ok(taken.unwrap_or(0))
    }

    async fn take_from(&self, source: &ServiceClient) -> anyhow::Result<usize> {
        let caller = Caller::service(crate::NAME);
        let path = format!("{}?limit={PAGE}", routes::events::EVENTS);
        let page: EventsPage = source.get(&path, &caller).await?;
        let mut recorded = Vec::with_capacity(page.events.len());
        for event in &page.events {
            // One event at a time: an event whose facts cannot be looked up
            // now (a service down) stays untaken and is read again; the
            // ones before it are recorded and acknowledged.
            match self.record(source.service(), event).await {
                Ok(()) => recorded.push(event.id),
                Err(e) => {
                    tracing::warn!(event = %event.id, kind = %event.kind, error = %e, "event not recorded yet");
                    break;
                }
            }
        }
        if !recorded.is_empty() {
            let _: serde_json::Value = source
                .post(
                    routes::events::EVENTS_ACK,
                    &EventsAck { ids: recorded.clone() },
                    &caller,
                )
                .await?;
        }
        Ok(recorded.len())
    }

    /// Records `event` and writes its messages, in one transaction; an event
    /// recorded before changes nothing.
    async fn record(&self, source: &str, event: &EventData) -> anyhow::Result<()> {
        let booking = match event.kind.as_str() {
            kinds::BOOKING_CONFIRMED | kinds::BOOKING_CANCELLED | kinds::BOOKING_COMPLETED => {
                Some(serde_json::from_value::<BookingEvent>(event.payload.clone())?)
            }
            _ => None,
        };
        // What the messages say is looked up before the transaction.
        let facts = match &booking {
            Some(b) => Some(self.booking_facts(b).await?),
            None => None,
        };
        let mut tx = self.pool.begin().await?;
        if !db::record_event(&mut tx, event.id, source, &event.kind, event.occurred_at).await? {
            return Ok(());
        }
        if let (Some(b), Some((vehicle, provider, council))) = (&booking, &facts) {
            let facts = BookingFacts {
                event: b,
                vehicle,
                provider,
                council,
                site: &self.settings.site_url,
            };
            self.booking_messages(&mut tx, event, &facts).await?;
        }
        tx.commit().await?;
        self.metrics.events.with_label_values(&[source, &event.kind]).inc();
        Ok(())
    }

    async fn booking_facts(&self, b: &BookingEvent) -> anyhow::Result<(VehicleData, ProviderData, CouncilData)> {
        let caller = Caller::service(crate::NAME);
        let s = &self.services;
        let (vehicle, provider, council) = (
            routes::inventory::vehicle(b.vehicle_id),
            routes::inventory::provider(b.provider_id),
            routes::eligibility::council(b.council_id),
        );
        let (vehicle, provider, council) = tokio::try_join!(
            s.inventory.get::<VehicleData>(&vehicle, &caller),
            s.inventory.get::<ProviderData>(&provider, &caller),
            s.eligibility.get::<CouncilData>(&council, &caller),
        )?;
        Ok((vehicle, provider, council))
    }

    async fn booking_messages(
        &self,
        tx: &mut PgConnection,
        event: &EventData,
        facts: &BookingFacts<'_>,
    ) -> anyhow::Result<()> {
        let b = facts.event;
        let now = Utc::now();
        let mut household: Vec<(Template, chrono::DateTime<Utc>)> = Vec::new();
        let mut provider: Option<Template> = None;
        match event.kind.as_str() {
            kinds::BOOKING_CONFIRMED => {
                household.push((Template::BookingConfirmed, now));
                let lead = chrono::Duration::from_std(self.settings.reminder_lead).unwrap_or_default();
                let remind_at = b.start_at - lead;
                // A hire booked less than a day ahead has no reminder: the
                // confirmation is the reminder.
                if b.kind == BookingKind::Hire && remind_at > event.occurred_at {
                    household.push((Template::BookingReminder, remind_at));
                }
                provider = Some(Template::ProviderNewBooking);
            }
            kinds::BOOKING_CANCELLED => {
                db::withdraw_for_booking(tx, b.booking_id, "The booking was cancelled").await?;
                household.push((Template::BookingCancelled, now));
                provider = Some(Template::ProviderBookingCancelled);
            }
            kinds::BOOKING_COMPLETED if b.kind == BookingKind::Hire => {
                household.push((Template::BookingCompleted, now));
            }
            _ => {}
        }
        let recipients = self.household_addresses(tx, b.household_id).await?;
        for (template, send_after) in household {
            for (recipient_id, address) in &recipients {
                let channel = address.channel();
                let written = facts.for_household(template, channel);
                let attachments = if template == Template::BookingConfirmed && channel == Channel::Email {
                    super::transports::booking_calendar(facts)
                } else {
                    Vec::new()
                };
                insert(
                    tx,
                    event,
                    template,
                    ("HOUSEHOLD", *recipient_id),
                    b,
                    address,
                    written,
                    attachments,
                    send_after,
                )
                .await?;
            }
        }
        if let Some(template) = provider {
            for account in db::provider_accounts(&mut *tx, b.provider_id).await? {
                let address = Address::Email { email: account.email };
                insert(
                    tx,
                    event,
                    template,
                    ("PROVIDER", account.user_id),
                    b,
                    &address,
                    facts.for_provider(template),
                    Vec::new(),
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Where a household's messages go: its chosen phone or postal address,
    /// or else each of its open accounts' email addresses (each keyed by
    /// the account; a phone or letter by the household).
    async fn household_addresses(&self, tx: &mut PgConnection, household: Uuid) -> sqlx::Result<Vec<(Uuid, Address)>> {
        let pref = db::preference(&mut *tx, household).await?;
        match pref.as_ref().map(|p| p.channel.as_str()) {
            Some("SMS") => {
                if let Some(phone) = pref.and_then(|p| p.phone) {
                    return Ok(vec![(household, Address::Sms { phone })]);
                }
            }
            Some("LETTER") => {
                if let Some(p) = pref {
                    if let Some(postcode) = p.postcode {
                        return Ok(vec![(
                            household,
                            Address::Letter {
                                lines: p.address_lines,
                                postcode,
                            },
                        )]);
                    }
                }
            }
            _ => {}
        }
        Ok(db::household_accounts(&mut *tx, household)
            .await?
            .into_iter()
            .map(|a| (a.user_id, Address::Email { email: a.email }))
            .collect())
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut PgConnection,
    event: &EventData,
    template: Template,
    (recipient_kind, recipient_id): (&'static str, Uuid),
    b: &BookingEvent,
    address: &Address,
    written: Written,
    attachments: Vec<roundabout_notify::Attachment>,
    send_after: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let channel = address.channel();
    db::insert(
        tx,
        &NewNotification {
            id: Uuid::new_v4(),
            event_id: event.id,
            template: template.as_str().to_string(),
            recipient_kind,
            recipient_id,
            household_id: Some(b.household_id),
            council_id: Some(b.council_id),
            booking_id: Some(b.booking_id),
            channel: channel.as_str(),
            address: serde_json::to_value(address)?,
            subject: written.subject,
            body: written.body,
            personalisation: serde_json::to_value(&written.personalisation)?,
            attachments: serde_json::to_value(&attachments)?,
            send_after,
        },
    )
    .await?;
    Ok(())
}
