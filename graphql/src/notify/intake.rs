//! Taking the services' events and writing the messages they cause.

use chrono::Utc;
use roundabout_api::{
    eligibility::CouncilData,
    events::{
        kinds, BookingEvent, EventData, EventsAck, EventsPage, LeaseInstalmentEvent, ProviderStandingEvent,
        SchemeBudgetEvent,
    },
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
    messages::{self, BookingFacts, Template, Written},
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
            let s = &self.services;
            // A service out of reach does not hold up the others' events.
            for source in [&s.bookings, &s.payments, &s.inventory, &s.eligibility] {
                match self.take_from(source).await {
                    Ok(k) => n += k,
                    Err(e) => tracing::warn!(source = source.service(), error = %e, "events not taken; trying again"),
                }
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
    /// recorded before changes nothing. What the messages say is looked up
    /// first, outside the transaction; a lookup that fails leaves the event
    /// untaken, to be read again.
    async fn record(&self, source: &str, event: &EventData) -> anyhow::Result<()> {
        let facts = self.facts(event).await?;
        let mut tx = self.pool.begin().await?;
        if !db::record_event(&mut tx, event.id, source, &event.kind, event.occurred_at).await? {
            return Ok(());
        }
        match &facts {
            Facts::Booking(booking) => {
                let (b, vehicle, provider, council) = &**booking;
                let facts = BookingFacts {
                    event: b,
                    vehicle,
                    provider,
                    council,
                    site: &self.settings.site_url,
                };
                self.booking_messages(&mut tx, event, &facts).await?;
            }
            Facts::ProviderStanding(e, provider, council) => {
                let (template, w) = messages::provider_standing(e, provider, council, &self.settings.site_url);
                let about = About {
                    council_id: Some(e.council_id),
                    ..About::default()
                };
                for account in db::provider_accounts(&mut *tx, e.provider_id).await? {
                    let to = Address::Email { email: account.email };
                    let n = new_notification(event, template, ("PROVIDER", account.user_id), &about, &to, w.clone());
                    db::insert(&mut tx, &n).await?;
                }
            }
            Facts::LeaseInstalment(e, paid, provider, council) => {
                let about = About {
                    household_id: Some(e.household_id),
                    council_id: Some(e.council_id),
                    booking_id: Some(e.booking_id),
                };
                for (recipient, to) in db::household_addresses(&mut tx, e.household_id).await? {
                    let (template, w) =
                        messages::lease_instalment(e, *paid, provider, council, to.channel(), &self.settings.site_url);
                    let n = new_notification(event, template, ("HOUSEHOLD", recipient), &about, &to, w);
                    db::insert(&mut tx, &n).await?;
                }
            }
            Facts::SchemeBudget(e) => {
                let (template, w) = messages::scheme_budget(e, &self.settings.site_url);
                let about = About {
                    council_id: Some(e.council_id),
                    ..About::default()
                };
                for account in db::officer_accounts(&mut *tx, e.council_id).await? {
                    let to = Address::Email { email: account.email };
                    let n = new_notification(event, template, ("OFFICER", account.user_id), &about, &to, w.clone());
                    db::insert(&mut tx, &n).await?;
                }
            }
            Facts::Other => {}
        }
        tx.commit().await?;
        self.metrics.events.with_label_values(&[source, &event.kind]).inc();
        Ok(())
    }

    /// What `event` is about, with what its messages need looked up.
    async fn facts(&self, event: &EventData) -> anyhow::Result<Facts> {
        let caller = Caller::service(crate::NAME);
        let s = &self.services;
        let payload = || event.payload.clone();
        Ok(match event.kind.as_str() {
            kinds::BOOKING_CONFIRMED | kinds::BOOKING_CANCELLED | kinds::BOOKING_COMPLETED => {
                let b: BookingEvent = serde_json::from_value(payload())?;
                let (vehicle, provider, council) = self.booking_facts(&b).await?;
                Facts::Booking(Box::new((b, vehicle, provider, council)))
            }
            kinds::PROVIDER_APPROVED | kinds::PROVIDER_SUSPENDED => {
                let e: ProviderStandingEvent = serde_json::from_value(payload())?;
                let (provider, council) = (
                    routes::inventory::provider(e.provider_id),
                    routes::eligibility::council(e.council_id),
                );
                let (provider, council) = tokio::try_join!(
                    s.inventory.get::<ProviderData>(&provider, &caller),
                    s.eligibility.get::<CouncilData>(&council, &caller),
                )?;
                Facts::ProviderStanding(e, provider, council)
            }
            kinds::LEASE_INSTALMENT_PAID | kinds::LEASE_INSTALMENT_FAILED => {
                let e: LeaseInstalmentEvent = serde_json::from_value(payload())?;
                let (provider, council) = (
                    routes::inventory::provider(e.provider_id),
                    routes::eligibility::council(e.council_id),
                );
                let (provider, council) = tokio::try_join!(
                    s.inventory.get::<ProviderData>(&provider, &caller),
                    s.eligibility.get::<CouncilData>(&council, &caller),
                )?;
                let paid = event.kind == kinds::LEASE_INSTALMENT_PAID;
                Facts::LeaseInstalment(e, paid, provider, council)
            }
            kinds::SCHEME_BUDGET_COMMITTED => Facts::SchemeBudget(serde_json::from_value(payload())?),
            other => {
                tracing::warn!(kind = other, event = %event.id, "an event of a kind no message is written for");
                Facts::Other
            }
        })
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
        let about = About {
            household_id: Some(b.household_id),
            council_id: Some(b.council_id),
            booking_id: Some(b.booking_id),
        };
        let recipients = db::household_addresses(tx, b.household_id).await?;
        for (template, send_after) in household {
            for (recipient_id, address) in &recipients {
                let channel = address.channel();
                let written = facts.for_household(template, channel);
                let attachments = if template == Template::BookingConfirmed && channel == Channel::Email {
                    super::transports::booking_calendar(facts)
                } else {
                    Vec::new()
                };
                let mut n = new_notification(event, template, ("HOUSEHOLD", *recipient_id), &about, address, written);
                n.attachments = serde_json::to_value(&attachments)?;
                n.send_after = send_after;
                db::insert(tx, &n).await?;
            }
        }
        if let Some(template) = provider {
            for account in db::provider_accounts(&mut *tx, b.provider_id).await? {
                let address = Address::Email { email: account.email };
                let w = facts.for_provider(template);
                let n = new_notification(event, template, ("PROVIDER", account.user_id), &about, &address, w);
                db::insert(tx, &n).await?;
            }
        }
        Ok(())
    }
}

/// What an event is about, with the facts its messages need.
enum Facts {
    Booking(Box<(BookingEvent, VehicleData, ProviderData, CouncilData)>),
    ProviderStanding(ProviderStandingEvent, ProviderData, CouncilData),
    /// The instalment, and whether it was paid (else it failed).
    LeaseInstalment(LeaseInstalmentEvent, bool, ProviderData, CouncilData),
    SchemeBudget(SchemeBudgetEvent),
    /// A kind no message is written for: recorded and acknowledged.
    Other,
}

/// What a message is about, for the household's and officers' views.
#[derive(Default)]
struct About {
    household_id: Option<Uuid>,
    council_id: Option<Uuid>,
    booking_id: Option<Uuid>,
}

/// A message to record, sent now, without attachments.
fn new_notification(
    event: &EventData,
    template: Template,
    (recipient_kind, recipient_id): (&'static str, Uuid),
    about: &About,
    address: &Address,
    written: Written,
) -> NewNotification {
    NewNotification {
        id: Uuid::new_v4(),
        event_id: event.id,
        template: template.as_str().to_string(),
        recipient_kind,
        recipient_id,
        household_id: about.household_id,
        council_id: about.council_id,
        booking_id: about.booking_id,
        channel: address.channel().as_str(),
        address: serde_json::to_value(address).unwrap_or_default(),
        subject: written.subject,
        body: written.body,
        personalisation: serde_json::to_value(&written.personalisation).unwrap_or_default(),
        attachments: serde_json::json!([]),
        send_after: Utc::now(),
    }
}
