//! What each message says, in plain English (GOV.UK content style: short
//! sentences, the reference, what happens next, how to get help).
//!
//! A message is written once, when its event is recorded, and kept as
//! written: what was sent is what the person reads, whatever changes later.

use std::collections::BTreeMap;

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
        let body = if channel == Channel::Sms { sms } else { full };
        with_fields(subject, body, self.base())
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
        with_fields(subject, body, self.base())
    }
}

/// `subject` and `body` as a message, with `fields` for templates that place them.
fn written(subject: String, body: String, fields: &[(&str, String)]) -> Written {
    with_fields(
        subject,
        body,
        fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
    )
}

/// `subject` and `body` as a message, beside the template's other fields.
fn with_fields(subject: String, body: String, mut personalisation: BTreeMap<String, String>) -> Written {
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

mod others;
#[cfg(test)]
mod tests;

pub use others::*;

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub use roundabout_api::uk_time::{day, when};
