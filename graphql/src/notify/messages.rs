//! What each message says, in plain English (GOV.UK content style: short
//! sentences, the reference, what happens next, how to get help).
//!
//! A message is written once, when its event is recorded, and kept as
//! written: what was sent is what the person reads, whatever changes later.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use chrono_tz::Europe::London;
use roundabout_api::{
    eligibility::CouncilData,
    events::BookingEvent,
    inventory::{ProviderData, VehicleData},
    states::BookingKind,
    Pence,
};
use roundabout_notify::Channel;

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    BookingConfirmed,
    BookingReminder,
    BookingCancelled,
    BookingCompleted,
    ProviderNewBooking,
    ProviderBookingCancelled,
    ProviderApproved,
    ProviderSuspended,
    LeaseInstalmentPaid,
    LeaseInstalmentFailed,
    SchemeBudget80,
    SchemeBudget100,
    OfficerActed,
    AccountClosed,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::BookingConfirmed => "booking_confirmed",
            Template::BookingReminder => "booking_reminder",
            Template::BookingCancelled => "booking_cancelled",
            Template::BookingCompleted => "booking_completed",
            Template::ProviderNewBooking => "provider_new_booking",
            Template::ProviderBookingCancelled => "provider_booking_cancelled",
            Template::ProviderApproved => "provider_approved",
            Template::ProviderSuspended => "provider_suspended",
            Template::LeaseInstalmentPaid => "lease_instalment_paid",
            Template::LeaseInstalmentFailed => "lease_instalment_failed",
            Template::SchemeBudget80 => "scheme_budget_80",
            Template::SchemeBudget100 => "scheme_budget_100",
            Template::OfficerActed => "officer_acted",
            Template::AccountClosed => "account_closed",
        }
    }
}

/// What a booking's messages say about it, looked up when the event is recorded.
pub struct BookingFacts<'a> {
    pub event: &'a BookingEvent,
    pub vehicle: &'a VehicleData,
    pub provider: &'a ProviderData,
    pub council: &'a CouncilData,
    /// Where people sign in (`PUBLIC_URL` of the web front end).
    pub site: &'a str,
}

/// A message ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub subject: String,
    pub body: String,
    pub personalisation: BTreeMap<String, String>,
}

impl BookingFacts<'_> {
    fn vehicle_name(&self) -> String {
        format!("{} {}", self.vehicle.make, self.vehicle.model)
    }

    fn reference(&self) -> String {
        self.event.reference()
    }

    fn period(&self) -> String {
        match self.event.kind {
            BookingKind::Lease => format!(
                "{} months from {}",
                self.event.lease_months.unwrap_or(1),
                day(self.event.start_at)
            ),
            BookingKind::Hire => format!("from {} to {}", when(self.event.start_at), when(self.event.end_at)),
        }
    }

    /// The pick-up address on one line ("Cotswold Car Club office, Market
    /// Square, Witney"), to sit in a sentence.
    fn pickup(&self) -> String {
        match &self.provider.pickup_address {
            Some(a) => a
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            None => format!("where {} tells you", self.provider.name),
        }
    }

    /// "contact Cotswold Car Club: call 01993 555010 or email …".
    fn provider_contact(&self) -> String {
        let p = self.provider;
        match ways(p.contact_phone.as_deref(), p.contact_email.as_deref()) {
            Some(w) => format!("contact {}: {w}", p.name),
            None => format!("contact {}", p.name),
        }
    }

    /// "West Oxfordshire (call … or email …)", after "contact".
    fn council_contact(&self) -> String {
        let c = self.council;
        match ways(c.contact_phone.as_deref(), c.contact_email.as_deref()) {
            Some(w) => format!("{} ({w})", c.name),
            None => c.name.clone(),
        }
    }

    fn you_pay(&self) -> String {
        let e = self.event;
        let share = e.household_pence();
        let on_invoice = e.payment_method.as_deref() == Some("INVOICE");
        let what = match e.kind {
            BookingKind::Lease => "each month",
            BookingKind::Hire => "for this hire",
        };
        let mut s = if share == Pence(0) {
            format!("You pay nothing {what}. {} pays the whole price.", self.council.name)
        } else if on_invoice {
            format!(
                "You pay {} {what}. You will get an invoice: nothing has been taken yet.",
                share.short()
            )
        } else {
            format!("You pay {} {what}. We have taken it from your card.", share.short())
        };
        if e.first_subsidy_pence > Pence(0) && share > Pence(0) {
            s.push_str(&format!(
                " {} pays the other {}.",
                self.council.name,
                e.first_subsidy_pence.short()
            ));
        }
        s
    }

    fn base(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("reference".to_string(), self.reference()),
            ("vehicle".to_string(), self.vehicle_name()),
            ("period".to_string(), self.period()),
            ("pickup".to_string(), self.pickup()),
            ("provider".to_string(), self.provider.name.clone()),
            ("council".to_string(), self.council.name.clone()),
        ])
    }

    /// The household's message of `template` for `channel`.
    pub fn for_household(&self, template: Template, channel: Channel) -> Written {
        let r = self.reference();
        let v = self.vehicle_name();
        let site = self.site;
        let (subject, full, sms) = match template {
            Template::BookingConfirmed => (
                format!("Booking confirmed: {v}, reference {r}"),
                format!(
                    "Your booking is confirmed.\n\nReference: {r}\n\nVehicle: {v}\nWhen: {}\nPick up at: {}\n\n{}\n\n\
                     # What happens next\n\nBring your driving licence{} when you pick up the vehicle. \
                     We will remind you the day before.\n\nTo change or cancel, sign in at {site} and go to Your bookings.\n\n\
                     # If you need help\n\nAbout the vehicle, {}.\nAbout your booking or your council's help with the cost, contact {}.",
                    self.period(),
                    self.pickup(),
                    self.you_pay(),
                    if matches!(self.vehicle.kind, roundabout_api::states::VehicleKind::Ebike | roundabout_api::states::VehicleKind::CargoBike) {
                        " if you have one (you do not need one for a bike)"
                    } else {
                        ""
                    },
                    self.provider_contact(),
                    self.council_contact(),
                ),
                format!(
                    "Roundabout: booking {r} confirmed. {v}, {}. Pick up at {}. To cancel, sign in at {site}",
                    self.period(),
                    self.pickup()
                ),
            ),
            Template::BookingReminder => (
                format!("Reminder: your {v} booking starts tomorrow, reference {r}"),
                format!(
                    "Your booking starts tomorrow.\n\nReference: {r}\n\nVehicle: {v}\nWhen: {}\nPick up at: {}\n\n\
                     Bring your driving licence and this reference.\n\nIf you cannot go, cancel at {site} \
                     (Your bookings) so someone else can use the vehicle.\n\n# If you need help\n\n{}.",
                    self.period(),
                    self.pickup(),
                    capitalise(&self.provider_contact()),
                ),
                format!(
                    "Roundabout reminder: booking {r}, {v}, starts {}. Pick up at {}.",
                    when(self.event.start_at),
                    self.pickup()
                ),
            ),
            Template::BookingCancelled => {
                let refund = self.event.refund_pence.unwrap_or(Pence(0));
                let on_invoice = self.event.payment_method.as_deref() == Some("INVOICE");
                let money = if on_invoice {
                    "You will not be invoiced for it.".to_string()
                } else if refund > Pence(0) {
                    format!(
                        "We have refunded {} to your card. It can take up to 10 working days to reach your account.",
                        refund.short()
                    )
                } else {
                    "There is no refund for this booking.".to_string()
                };
                (
                    format!("Booking cancelled: {v}, reference {r}"),
                    format!(
                        "Your booking has been cancelled.\n\nReference: {r}\n\nVehicle: {v}\nWhen: {}\n\n{money}\n\n\
                         # If you need help\n\nIf you did not cancel this booking, or have a question about it, contact {}.",
                        self.period(),
                        self.council_contact(),
                    ),
                    format!("Roundabout: booking {r} ({v}) cancelled. {money}"),
                )
            }
            Template::BookingCompleted => (
                format!("Receipt for your {v} hire, reference {r}"),
                format!(
                    "Thank you for returning the vehicle.\n\nReference: {r}\n\nVehicle: {v}\nWhen: {}\n\n\
                     Price: {}\nPaid by {}: {}\nPaid by you: {}\n\n# If you need help\n\nIf anything on this receipt \
                     is wrong, contact {}.",
                    self.period(),
                    self.event.first_base_pence.short(),
                    self.council.name,
                    self.event.first_subsidy_pence.short(),
                    self.event.household_pence().short(),
                    self.council_contact(),
                ),
                format!(
                    "Roundabout: hire {r} ended. You paid {}. Receipt at {site}",
                    self.event.household_pence().short()
                ),
            ),
            _ => return self.for_provider(template),
        };
        let mut personalisation = self.base();
        let body = if channel == Channel::Sms { sms } else { full };
        personalisation.insert("subject".into(), subject.clone());
        personalisation.insert("body".into(), body.clone());
        Written {
            subject,
            body,
            personalisation,
        }
    }

    /// The provider's email about a booking of its vehicle.
    pub fn for_provider(&self, template: Template) -> Written {
        let r = self.reference();
        let v = self.vehicle_name();
        let reg = self
            .vehicle
            .registration
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let (subject, body) = if template == Template::ProviderBookingCancelled {
            (
                format!("Booking cancelled: {v}{reg}, reference {r}"),
                format!(
                    "A booking of your vehicle has been cancelled.\n\nReference: {r}\nVehicle: {v}{reg}\nWhen: {}\n\n\
                     The vehicle is free again for that time. You do not need to do anything.",
                    self.period()
                ),
            )
        } else {
            (
                format!("New booking: {v}{reg}, reference {r}"),
                format!(
                    "A household has booked your vehicle through {}.\n\nReference: {r}\nVehicle: {v}{reg}\nWhen: {}\n\
                     Price: {}\n\n# What happens next\n\nHave the vehicle ready at {}. The household will bring this \
                     reference and their driving licence. You are paid after the hire ends.\n\nTo see your bookings, sign in at {}",
                    self.council.name,
                    self.period(),
                    self.event.first_base_pence.short(),
                    self.pickup(),
                    self.site,
                ),
            )
        };
        let mut personalisation = self.base();
        personalisation.insert("subject".into(), subject.clone());
        personalisation.insert("body".into(), body.clone());
        Written {
            subject,
            body,
            personalisation,
        }
    }
}

/// `subject` and `body` as a message, with `fields` for templates that place them.
fn written(subject: String, body: String, fields: &[(&str, String)]) -> Written {
    let mut personalisation: BTreeMap<String, String> =
        fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    personalisation.insert("subject".into(), subject.clone());
    personalisation.insert("body".into(), body.clone());
    Written {
        subject,
        body,
        personalisation,
    }
}

/// "call 01993 555010 or email …", from whichever of the two there is.
fn ways(phone: Option<&str>, email: Option<&str>) -> Option<String> {
    let ways: Vec<String> = [phone.map(|p| format!("call {p}")), email.map(|e| format!("email {e}"))]
        .into_iter()
        .flatten()
        .collect();
    (!ways.is_empty()).then(|| ways.join(" or "))
}

/// How residents reach the council, in words: "contact West Oxfordshire (call …)".
fn council_ways(council: &CouncilData) -> String {
    match ways(council.contact_phone.as_deref(), council.contact_email.as_deref()) {
        Some(w) => format!("contact {} ({w})", council.name),
        None => format!("contact {}", council.name),
    }
}

/// A provider's members hear that a council approved or suspended it.
pub fn provider_standing(
    e: &roundabout_api::events::ProviderStandingEvent,
    provider: &ProviderData,
    council: &CouncilData,
    site: &str,
) -> (Template, Written) {
    let c = &council.name;
    if e.status == "SUSPENDED" {
        (
            Template::ProviderSuspended,
            written(
                format!("{c} has suspended {} on Roundabout", provider.name),
                format!(
                    "{c} has suspended {} on Roundabout.\n\nResidents of {c} can no longer find or book your \
                     vehicles. Bookings already made still stand.\n\n# If you need help\n\nTo ask why, or what to \
                     do next, {}.",
                    provider.name,
                    council_ways(council)
                ),
                &[("provider", provider.name.clone()), ("council", c.clone())],
            ),
        )
    } else {
        (
            Template::ProviderApproved,
            written(
                format!("{c} has approved {} on Roundabout", provider.name),
                format!(
                    "{c} has approved {} on Roundabout.\n\n# What happens next\n\nResidents of {c} can now find \
                     and book the vehicles you publish. Sign in at {site} to add vehicles, set prices and see \
                     bookings.\n\n# If you need help\n\n{}.",
                    provider.name,
                    capitalise(&council_ways(council))
                ),
                &[("provider", provider.name.clone()), ("council", c.clone())],
            ),
        )
    }
}

/// A household hears that a lease's monthly payment was taken, or failed.
pub fn lease_instalment(
    e: &roundabout_api::events::LeaseInstalmentEvent,
    paid: bool,
    provider: &ProviderData,
    council: &CouncilData,
    channel: Channel,
    site: &str,
) -> (Template, Written) {
    let r = roundabout_api::events::reference(e.booking_id);
    let amount = e.amount_pence.short();
    let month = e.month;
    let fields = [
        ("reference", r.clone()),
        ("month", month.to_string()),
        ("amount", amount.to_string()),
    ];
    if paid {
        let body = if channel == Channel::Sms {
            format!("Roundabout: we have taken {amount} for month {month} of your lease {r}.")
        } else {
            format!(
                "We have taken {amount} for month {month} of your lease from {}.\n\nReference: {r}\n\n\
                 {} pays the rest of the monthly price.\n\n# If you need help\n\nIf this payment looks wrong, {}.",
                provider.name,
                council.name,
                council_ways(council)
            )
        };
        (
            Template::LeaseInstalmentPaid,
            written(
                format!("Lease payment taken: month {month}, reference {r}"),
                body,
                &fields,
            ),
        )
    } else {
        let body = if channel == Channel::Sms {
            format!("Roundabout: we could not take {amount} for month {month} of your lease {r}. Sign in at {site} to check your card.")
        } else {
            format!(
                "We could not take {amount} for month {month} of your lease from {}.\n\nReference: {r}\n\n\
                 # What happens next\n\nWe will try again in the next few days. Check that your card has not \
                 expired and has enough money on it. You can sign in at {site} to see your lease.\n\n\
                 # If you need help\n\nIf you are finding it hard to pay, {}. They may be able to help.",
                provider.name,
                council_ways(council)
            )
        };
        (
            Template::LeaseInstalmentFailed,
            written(
                format!("We could not take your lease payment, reference {r}"),
                body,
                &fields,
            ),
        )
    }
}

/// A council's officers hear that a scheme's committed subsidy reached 80 % or all of its budget.
pub fn scheme_budget(e: &roundabout_api::events::SchemeBudgetEvent, site: &str) -> (Template, Written) {
    let name = &e.scheme_name;
    let left = (e.budget_pence - e.committed_pence).at_least_zero();
    let fields = [
        ("scheme", name.clone()),
        ("percent", e.threshold_percent.to_string()),
        ("budget", e.budget_pence.short().to_string()),
        ("committed", e.committed_pence.short().to_string()),
    ];
    if e.threshold_percent >= 100 {
        (
            Template::SchemeBudget100,
            written(
                format!("{name}: the whole budget is committed"),
                format!(
                    "All of the budget for {name} is now committed to bookings.\n\nBudget: {}\nCommitted: {}\n\n\
                     # What happens next\n\nHouseholds can no longer get this scheme's subsidy: new bookings are \
                     offered at the full price. To let more households use it, raise the budget in a new version of \
                     the scheme: sign in at {site}",
                    e.budget_pence.short(),
                    e.committed_pence.short()
                ),
                &fields,
            ),
        )
    } else {
        (
            Template::SchemeBudget80,
            written(
                format!("{name}: {}% of the budget is committed", e.threshold_percent),
                format!(
                    "{}% of the budget for {name} is now committed to bookings.\n\nBudget: {}\nCommitted: {}\n\
                     Left: {}\n\n# What happens next\n\nWhen all of it is committed, households can no longer get \
                     this scheme's subsidy. To keep it going, raise the budget in a new version of the scheme: sign in at {site}",
                    e.threshold_percent,
                    e.budget_pence.short(),
                    e.committed_pence.short(),
                    left.short()
                ),
                &fields,
            ),
        )
    }
}

/// A household hears that a council officer `what` ("booked a vehicle for you").
pub fn written_for_officer_action(what: &str, channel: Channel, site: &str) -> Written {
    let body = if channel == Channel::Sms {
        format!("Roundabout: a council officer {what}. If you did not ask for this, contact your council.")
    } else {
        format!(
            "A council officer {what}, as you asked.\n\nTo see everything officers have done for you, sign in at \
             {site} and go to Your data.\n\n# If you did not ask for this\n\nContact your council and \
             tell them. They can see which officer did it and when."
        )
    };
    written(format!("A council officer {what}"), body, &[])
}

/// A household hears that its account is closed and its data erased.
pub fn account_closed(channel: Channel) -> Written {
    let body = if channel == Channel::Sms {
        "Roundabout: your account is closed and your personal details have been deleted.".to_string()
    } else {
        "Your Roundabout account is closed and your personal details have been deleted.\n\n\
         We keep a record of payments and refunds, under a number rather than your name, because the law \
         says we must keep financial records for 6 years.\n\nThis is the last message we will send you. Once \
         it is sent, we delete the address it went to.\n\n# If you did not ask for this\n\n\
         Contact your council."
            .to_string()
    };
    written("Your Roundabout account is closed".into(), body, &[])
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn to_uk(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&London).naive_local()
}

/// "10am", "9:30am", "midday", "midnight".
fn clock(l: NaiveDateTime) -> String {
    let (h, m) = (l.hour(), l.minute());
    match (h, m) {
        (0, 0) => "midnight".into(),
        (12, 0) => "midday".into(),
        _ => {
            let suffix = if h < 12 { "am" } else { "pm" };
            let h12 = if h % 12 == 0 { 12 } else { h % 12 };
            if m == 0 {
                format!("{h12}{suffix}")
            } else {
                format!("{h12}:{m:02}{suffix}")
            }
        }
    }
}

/// "Saturday 28 November 2026 at 10am", UK time.
pub fn when(t: DateTime<Utc>) -> String {
    let l = to_uk(t);
    format!("{} at {}", l.format("%A %-d %B %Y"), clock(l))
}

/// "28 November 2026", UK time.
pub fn day(t: DateTime<Utc>) -> String {
    to_uk(t).format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use roundabout_api::states::{BookingStatus, Propulsion, VehicleKind, VehicleStatus};
    use uuid::Uuid;

    fn facts_parts() -> (BookingEvent, VehicleData, ProviderData, CouncilData) {
        let now = Utc.with_ymd_and_hms(2026, 12, 10, 12, 0, 0).unwrap();
        let event = BookingEvent {
            booking_id: Uuid::parse_str("28844eea-0000-4000-8000-000000000000").unwrap(),
            household_id: Uuid::new_v4(),
            council_id: Uuid::new_v4(),
            provider_id: Uuid::new_v4(),
            vehicle_id: Uuid::new_v4(),
            kind: BookingKind::Hire,
            lease_months: None,
            start_at: now,
            end_at: now + chrono::Duration::hours(3),
            status: BookingStatus::Confirmed,
            currency: "GBP".into(),
            base_pence: Pence(1800),
            subsidy_pence: Pence(720),
            first_base_pence: Pence(1800),
            first_subsidy_pence: Pence(720),
            payment_method: Some("CARD".into()),
            refund_pence: Some(Pence(1080)),
        };
        let vehicle = VehicleData {
            id: event.vehicle_id,
            provider_id: event.provider_id,
            list_seq: 1,
            kind: VehicleKind::Car,
            make: "Nissan".into(),
            model: "Leaf".into(),
            registration: Some("WX26D009".into()),
            seats: 5,
            propulsion: Propulsion::Electric,
            range_km: Some(270),
            co2_grams_per_km: Some(0),
            wheelchair_accessible: false,
            lat: 51.78,
            lon: -1.48,
            status: VehicleStatus::Available,
            currency: "GBP".into(),
            per_hour_pence: Some(Pence(600)),
            per_day_pence: None,
            per_month_lease_pence: None,
            deposit_pence: Pence(0),
            created_at: now,
            updated_at: now,
        };
        let provider = ProviderData {
            id: event.provider_id,
            name: "Cotswold Car Club".into(),
            created_at: now,
            pickup_address: Some("Cotswold Car Club office\nMarket Square\nWitney".into()),
            contact_phone: Some("01993 555010".into()),
            contact_email: None,
        };
        let council = CouncilData {
            id: event.council_id,
            name: "West Oxfordshire".into(),
            code: "WOX".into(),
            boundary: serde_json::json!({}),
            created_at: now,
            contact_email: Some("transport@westoxon.example".into()),
            contact_phone: None,
            data_protection_officer: None,
            data_protection_email: None,
            postal_address: None,
            accessibility_email: None,
            accessibility_phone: None,
        };
        (event, vehicle, provider, council)
    }

    #[test]
    fn every_booking_message_names_the_reference_and_where_to_get_help_and_texts_stay_short() {
        let (event, vehicle, provider, council) = facts_parts();
        let f = BookingFacts {
            event: &event,
            vehicle: &vehicle,
            provider: &provider,
            council: &council,
            site: "https://roundabout.example",
        };
        for t in [
            Template::BookingConfirmed,
            Template::BookingReminder,
            Template::BookingCancelled,
            Template::BookingCompleted,
        ] {
            let email = f.for_household(t, Channel::Email);
            assert!(email.subject.contains("28844EEA"), "{t:?}: {}", email.subject);
            assert!(email.body.contains("28844EEA"), "{t:?}");
            assert!(email.body.contains("# If you need help"), "{t:?}: {}", email.body);
            assert_eq!(email.personalisation["reference"], "28844EEA");
            let sms = f.for_household(t, Channel::Sms);
            assert!(sms.body.contains("28844EEA"), "{t:?}");
            // Two text message fragments at most (GOV.UK Notify: 160 characters each, 153 when joined).
            assert!(
                sms.body.chars().count() <= 306,
                "{t:?}: {} characters",
                sms.body.chars().count()
            );
        }
        let confirmed = f.for_household(Template::BookingConfirmed, Channel::Email).body;
        assert!(confirmed.contains("You pay £10.80 for this hire"), "{confirmed}");
        assert!(
            confirmed.contains("West Oxfordshire pays the other £7.20"),
            "{confirmed}"
        );
        let cancelled = f.for_household(Template::BookingCancelled, Channel::Email).body;
        assert!(cancelled.contains("We have refunded £10.80"), "{cancelled}");
        // The pick-up address sits on one line inside a sentence.
        let provider_mail = f.for_provider(Template::ProviderNewBooking).body;
        assert!(
            provider_mail.contains("Have the vehicle ready at Cotswold Car Club office, Market Square, Witney."),
            "{provider_mail}"
        );
    }

    #[test]
    fn times_are_written_in_uk_time_the_gov_uk_way() {
        // 09:00 UTC in July is 10am British Summer Time.
        let t = Utc.with_ymd_and_hms(2026, 7, 4, 9, 0, 0).unwrap();
        assert_eq!(when(t), "Saturday 4 July 2026 at 10am");
        let t = Utc.with_ymd_and_hms(2026, 12, 5, 12, 30, 0).unwrap();
        assert_eq!(when(t), "Saturday 5 December 2026 at 12:30pm");
        assert_eq!(day(t), "5 December 2026");
    }
}
