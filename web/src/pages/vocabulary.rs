//! The words every page uses for the same things, each written once: vehicle
//! kinds, power and statuses, booking, scheme and approval statuses, income
//! bands and benefits, and how money, dates, times and counts are written
//! (GOV.UK style, UK time). Templates use them as askama filters
//! ([`filters`]: `{{ b.price.base_pence|pounds }}`, `{{ v.kind|kind_words }}`,
//! `{{ b.start|when }}`); page code calls the functions.

use roundabout_api::Pence;
use serde_json::{json, Value};

/// Benefits asked about: (value stored, label).
pub use roundabout_api::facts::BENEFITS;

/// An income band as offered: from `from` (inclusive) to below `below`, in pence.
#[derive(Debug)]
pub struct Band {
    pub value: &'static str,
    pub label: &'static str,
    pub from: Option<i64>,
    pub below: Option<i64>,
}

impl Band {
    /// Whether an income lies in the band.
    pub fn contains(&self, pence: i64) -> bool {
        self.from.is_none_or(|f| pence >= f) && self.below.is_none_or(|b| pence < b)
    }

    /// The figure stored for a band chosen without a figure: its top (the
    /// last pound below its upper end, or its lower end when it has none),
    /// so a scheme's limit at a band's edge ("under £25,000") judges the
    /// band as a whole.
    pub fn top(&self) -> i64 {
        self.below.map(|b| b - 100).or(self.from).unwrap_or(0)
    }

    /// The band as the API takes it.
    pub fn api(&self) -> Value {
        json!({"fromPence": self.from, "belowPence": self.below})
    }
}

/// Income bands offered, and "rather not say" (no band).
pub const INCOME_BANDS: &[Band] = &[
    Band {
        value: "under-15000",
        label: "Under £15,000",
        from: None,
        below: Some(1_500_000),
    },
    Band {
        value: "15000-24999",
        label: "£15,000 to £24,999",
        from: Some(1_500_000),
        below: Some(2_500_000),
    },
    Band {
        value: "25000-34999",
        label: "£25,000 to £34,999",
        from: Some(2_500_000),
        below: Some(3_500_000),
    },
    Band {
        value: "35000-49999",
        label: "£35,000 to £49,999",
        from: Some(3_500_000),
        below: Some(5_000_000),
    },
    Band {
        value: "50000-plus",
        label: "£50,000 or more",
        from: Some(5_000_000),
        below: None,
    },
];

/// The radio for "I would rather not say".
pub const NOT_GIVEN: &str = "not-given";

/// The band an income falls in.
pub fn band_of(income: Option<i64>) -> &'static str {
    income
        .and_then(|p| INCOME_BANDS.iter().find(|b| b.contains(p)))
        .map(|b| b.value)
        .unwrap_or(NOT_GIVEN)
}

/// The band's label for an income ("£15,000 to £24,999"), or "Not given".
pub fn income_words(income: Option<i64>) -> &'static str {
    let v = band_of(income);
    INCOME_BANDS
        .iter()
        .find(|b| b.value == v)
        .map(|b| b.label)
        .unwrap_or("Not given")
}

/// A vehicle kind as people name it.
pub fn kind_words(kind: &str) -> &'static str {
    match kind {
        "CAR" => "Car",
        "VAN" => "Van",
        "WAV" => "Wheelchair-accessible vehicle",
        "MINIBUS" => "Minibus",
        "EBIKE" => "E-bike",
        "CARGO_BIKE" => "Cargo bike",
        _ => "Vehicle",
    }
}

/// How a vehicle is powered, as people name it.
pub fn power_words(propulsion: &str) -> &'static str {
    match propulsion {
        "ELECTRIC" => "Electric",
        "HYBRID" => "Hybrid",
        "PETROL" => "Petrol",
        "DIESEL" => "Diesel",
        "HUMAN" => "Pedal",
        "ELECTRIC_ASSIST" => "Electric assist",
        _ => "Other",
    }
}

/// Where a booking stands, as the household and the provider read it.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "PENDING_PAYMENT" => "Waiting for payment",
        "CONFIRMED" => "Confirmed",
        "ACTIVE" => "In progress",
        "COMPLETED" => "Completed",
        "CANCELLED" => "Cancelled",
        "EXPIRED" => "Expired",
        "FAILED" => "Failed",
        _ => "Unknown",
    }
}

/// A booking's status as a tag's colour.
pub fn status_colour(status: &str) -> &'static str {
    match status {
        "CONFIRMED" | "ACTIVE" => "govuk-tag--green",
        "PENDING_PAYMENT" => "govuk-tag--yellow",
        "FAILED" | "EXPIRED" => "govuk-tag--red",
        _ => "govuk-tag--grey",
    }
}

/// Where a vehicle stands: its words and its tag's colour.
pub fn vehicle_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "AVAILABLE" => ("Available", "govuk-tag--green"),
        "MAINTENANCE" => ("In maintenance", "govuk-tag--yellow"),
        _ => ("Retired", "govuk-tag--grey"),
    }
}

/// Where a scheme stands: its words and its tag's colour.
pub fn scheme_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "ACTIVE" => ("Published", "govuk-tag--green"),
        "DRAFT" => ("Draft", "govuk-tag--grey"),
        "PAUSED" => ("Paused", "govuk-tag--yellow"),
        _ => ("Closed", "govuk-tag--red"),
    }
}

/// Where a provider stands with a council: its words and its tag's colour.
pub fn approval(status: &str) -> (&'static str, &'static str) {
    match status {
        "APPROVED" => ("Approved", "govuk-tag--green"),
        "SUSPENDED" => ("Suspended", "govuk-tag--red"),
        _ => ("Waiting for approval", "govuk-tag--yellow"),
    }
}

/// A benefit's label ("Universal Credit"), or its stored value when unknown.
pub fn benefit_words(value: &str) -> &str {
    BENEFITS.iter().find(|b| b.0 == value).map_or(value, |b| b.1)
}

/// `£12.30`, or `£12` for whole pounds (`roundabout_api::Pence::short`).
pub fn pounds(pence: i64) -> String {
    Pence(pence).short().to_string()
}

/// Text for a URL's query or path (`roundabout_api::url::encode`; askama's
/// `urlencode` filter encodes the same characters).
pub fn urlencode(s: &str) -> String {
    roundabout_api::url::encode(s)
}

pub use roundabout_api::uk_time::{clock, day, when};

/// "1 hour", "3 hours".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How a message reaches a person (`NotificationChannel`).
pub fn channel_words(channel: &str) -> &'static str {
    match channel {
        "EMAIL" => "Email",
        "SMS" => "Text message",
        "LETTER" => "Letter",
        _ => "Message",
    }
}

/// What a message is about (`Notification.kind`), in words.
pub fn message_kind_words(kind: &str) -> &'static str {
    match kind {
        "booking_confirmed" => "Booking confirmation",
        "booking_reminder" => "Reminder the day before a booking",
        "booking_cancelled" => "Booking cancelled",
        "booking_completed" => "Receipt after a hire",
        "provider_new_booking" => "New booking, to the provider",
        "provider_booking_cancelled" => "Booking cancelled, to the provider",
        "provider_approved" => "Approved by the council, to the provider",
        "provider_suspended" => "Suspended by the council, to the provider",
        "lease_instalment_paid" => "Lease payment taken",
        "lease_instalment_failed" => "Lease payment not taken",
        "scheme_budget_80" => "Scheme budget 80% committed, to officers",
        "scheme_budget_100" => "Scheme budget all committed, to officers",
        "officer_acted" => "What a council officer did for you",
        "account_closed" => "Account closed",
        _ => "Message",
    }
}

/// Where a message stands (`NotificationStatus`): its words and its tag's colour.
pub fn message_status(status: &str) -> (&'static str, &'static str) {
    match status {
        "PENDING" => ("Waiting", "govuk-tag--grey"),
        "SENDING" => ("Sending", "govuk-tag--blue"),
        "SENT" => ("Sent", "govuk-tag--blue"),
        "DELIVERED" => ("Delivered", "govuk-tag--green"),
        "FAILED" => ("Failed", "govuk-tag--red"),
        "WITHDRAWN" => ("Withdrawn", "govuk-tag--grey"),
        _ => ("Unknown", "govuk-tag--grey"),
    }
}

/// The vocabulary as askama filters, for every template: in scope of a
/// page's template struct with `use crate::pages::vocabulary::filters;`.
pub mod filters {
    use askama::{Result, Values};
    use chrono::{DateTime, Utc};

    /// A value a filter reads, whether the template hands it over or a
    /// reference to it (a field, a loop variable).
    pub trait Plain<V> {
        fn plain(&self) -> V;
    }

    impl Plain<i64> for i64 {
        fn plain(&self) -> i64 {
            *self
        }
    }

    impl Plain<Option<i64>> for Option<i64> {
        fn plain(&self) -> Option<i64> {
            *self
        }
    }

    impl Plain<DateTime<Utc>> for DateTime<Utc> {
        fn plain(&self) -> DateTime<Utc> {
            *self
        }
    }

    impl<V, T: Plain<V> + ?Sized> Plain<V> for &T {
        fn plain(&self) -> V {
            (**self).plain()
        }
    }

    /// `{{ pence|pounds }}`: `£12.30`, `£12`.
    #[askama::filter_fn]
    pub fn pounds<P: Plain<i64>>(pence: P, _: &dyn Values) -> Result<String> {
        Ok(super::pounds(pence.plain()))
    }

    /// `{{ t|when }}`: "Saturday 28 November 2026 at 10am".
    #[askama::filter_fn]
    pub fn when<T: Plain<DateTime<Utc>>>(t: T, _: &dyn Values) -> Result<String> {
        Ok(super::when(t.plain()))
    }

    /// `{{ t|day }}`: "28 November 2026".
    #[askama::filter_fn]
    pub fn day<T: Plain<DateTime<Utc>>>(t: T, _: &dyn Values) -> Result<String> {
        Ok(super::day(t.plain()))
    }

    /// `{{ n|plural("seat", "seats") }}`: "1 seat", "3 seats".
    #[askama::filter_fn]
    pub fn plural<N: Plain<i64>>(n: N, _: &dyn Values, one: &str, many: &str) -> Result<String> {
        Ok(super::plural(n.plain(), one, many))
    }

    /// `{{ v.kind|kind_words }}`: "Cargo bike".
    #[askama::filter_fn]
    pub fn kind_words<S: AsRef<str>>(kind: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::kind_words(kind.as_ref()))
    }

    /// `{{ v.propulsion|power_words }}`: "Electric".
    #[askama::filter_fn]
    pub fn power_words<S: AsRef<str>>(propulsion: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::power_words(propulsion.as_ref()))
    }

    /// `{{ b.status|status_words }}`: a booking's status, "In progress".
    #[askama::filter_fn]
    pub fn status_words<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::status_words(status.as_ref()))
    }

    /// `{{ b.status|status_colour }}`: a booking's status tag's class.
    #[askama::filter_fn]
    pub fn status_colour<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::status_colour(status.as_ref()))
    }

    /// `{{ v.status|vehicle_status_words }}`: "In maintenance".
    #[askama::filter_fn]
    pub fn vehicle_status_words<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::vehicle_status(status.as_ref()).0)
    }

    /// `{{ v.status|vehicle_status_colour }}`: its tag's class.
    #[askama::filter_fn]
    pub fn vehicle_status_colour<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::vehicle_status(status.as_ref()).1)
    }

    /// `{{ s.status|scheme_status_words }}`: "Published".
    #[askama::filter_fn]
    pub fn scheme_status_words<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::scheme_status(status.as_ref()).0)
    }

    /// `{{ s.status|scheme_status_colour }}`: its tag's class.
    #[askama::filter_fn]
    pub fn scheme_status_colour<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::scheme_status(status.as_ref()).1)
    }

    /// `{{ p.status|approval_words }}`: "Waiting for approval".
    #[askama::filter_fn]
    pub fn approval_words<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::approval(status.as_ref()).0)
    }

    /// `{{ p.status|approval_colour }}`: its tag's class.
    #[askama::filter_fn]
    pub fn approval_colour<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::approval(status.as_ref()).1)
    }

    /// `{{ b|benefit_words }}`: a benefit's label, "Universal Credit".
    #[askama::filter_fn]
    pub fn benefit_words<S: AsRef<str>>(value: S, _: &dyn Values) -> Result<String> {
        Ok(super::benefit_words(value.as_ref()).to_string())
    }

    /// `{{ m.channel|channel_words }}`: "Text message".
    #[askama::filter_fn]
    pub fn channel_words<S: AsRef<str>>(channel: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::channel_words(channel.as_ref()))
    }

    /// `{{ m.kind|message_kind_words }}`: "Booking confirmation".
    #[askama::filter_fn]
    pub fn message_kind_words<S: AsRef<str>>(kind: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::message_kind_words(kind.as_ref()))
    }

    /// `{{ m.status|message_status_words }}`: "Delivered".
    #[askama::filter_fn]
    pub fn message_status_words<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::message_status(status.as_ref()).0)
    }

    /// `{{ m.status|message_status_colour }}`: the status tag's class.
    #[askama::filter_fn]
    pub fn message_status_colour<S: AsRef<str>>(status: S, _: &dyn Values) -> Result<&'static str> {
        Ok(super::message_status(status.as_ref()).1)
    }

    /// `{{ p.annual_income_pence|income_words }}`: "£15,000 to £24,999", "Not given".
    #[askama::filter_fn]
    pub fn income_words<I: Plain<Option<i64>>>(income: I, _: &dyn Values) -> Result<&'static str> {
        Ok(super::income_words(income.plain()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;

    #[test]
    fn money_reads_as_on_gov_uk() {
        assert_eq!(pounds(1230), "£12.30");
        assert_eq!(pounds(12000), "£120");
        assert_eq!(pounds(20_000_000), "£200,000");
        assert_eq!(pounds(5), "£0.05");
    }

    #[test]
    fn money_keeps_the_sign_first() {
        assert_eq!(pounds(-50), "-£0.50");
        assert_eq!(pounds(-2400), "-£24");
    }

    #[test]
    fn times_are_written_in_uk_time() {
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()),
            "Saturday 28 November 2026 at 10am"
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 7, 4, 13, 30, 0).unwrap()),
            "Saturday 4 July 2026 at 2:30pm"
        );
    }

    #[test]
    fn templates_write_the_same_words_through_the_filters() {
        use askama::Template;

        #[derive(Template)]
        #[template(
            source = "{{ p|pounds }} {{ n|plural(\"seat\", \"seats\") }} {{ k|kind_words }} {{ t|when }} {{ t|day }} {{ i|income_words }}",
            ext = "html"
        )]
        struct T<'a> {
            p: i64,
            n: i64,
            k: &'a str,
            t: DateTime<Utc>,
            i: Option<i64>,
        }
        let t = T {
            p: 1230,
            n: 3,
            k: "CARGO_BIKE",
            t: Utc.with_ymd_and_hms(2026, 7, 4, 11, 0, 0).unwrap(),
            i: Some(1_800_000),
        };
        assert_eq!(
            t.render().unwrap(),
            "£12.30 3 seats Cargo bike Saturday 4 July 2026 at midday 4 July 2026 £15,000 to £24,999"
        );
    }
}
