//! What every page shares: the layout's data, and UK time (`Europe/London`)
//! read from and turned into UTC. How money and dates are written is in
//! [`crate::pages::vocabulary`].

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Europe::London;

use crate::session::Session;

/// The layout's data: title, who is signed in, the navigation, the CSRF token.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub title: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub csrf: String,
    /// The navigation item this page belongs to (its path).
    pub section: &'static str,
    /// A one-time message (a notification banner).
    pub flash: Option<String>,
    /// True when the page has a form error: the title starts with "Error: ".
    pub has_errors: bool,
    /// When an officer acts for a household: its name, for the banner.
    pub acting_for: Option<String>,
    /// Where the household's pages are: empty for the household itself,
    /// `/officer/households/{id}` when an officer acts for it.
    pub base: String,
    /// Whether the footer links to the demo mailbox (development only).
    pub mailbox: bool,
}

/// A navigation item.
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
}

impl Layout {
    pub fn new(session: &Session, title: impl Into<String>, section: &'static str) -> Self {
        Self {
            title: title.into(),
            role: session.data.role.clone(),
            email: session.data.email.clone(),
            csrf: session.csrf.clone(),
            section,
            flash: session.data.flash.clone(),
            has_errors: false,
            acting_for: None,
            base: String::new(),
            mailbox: session.mailbox,
        }
    }

    /// For pages rendered without a session (errors).
    pub fn plain(title: &str) -> Self {
        Self {
            title: title.to_string(),
            ..Self::default()
        }
    }

    /// The content-named URL of an asset (`app.css`), see [`crate::assets`].
    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

    pub fn with_errors(mut self, errors: &crate::form::Errors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }

    pub fn nav(&self) -> Vec<NavItem> {
        let items: &[(&str, &str)] = match self.role.as_deref() {
            Some("HOUSEHOLD") => &[
                ("/profile", "Your household"),
                ("/schemes", "What you can get"),
                ("/find-a-vehicle", "Find a vehicle"),
                ("/bookings", "Your bookings"),
            ],
            Some("PROVIDER") => &[
                ("/provider", "Councils"),
                ("/provider/fleet", "Fleet"),
                ("/provider/bookings", "Bookings"),
                ("/provider/payouts", "Payouts"),
                ("/provider/contact", "Contact details"),
            ],
            Some("OFFICER") => &[
                ("/officer", "Council"),
                ("/officer/households", "Households"),
                ("/officer/providers", "Providers"),
                ("/officer/schemes", "Schemes"),
                ("/officer/zones", "Zones"),
                ("/officer/postcodes", "Postcodes"),
                ("/officer/reports", "Reports"),
            ],
            Some("ADMIN") => &[("/admin", "Councils")],
            _ => &[],
        };
        items.iter().map(|&(href, text)| NavItem { href, text }).collect()
    }

    pub fn is_current(&self, href: &str) -> bool {
        self.section == href
    }
}

/// The UK's offset from UTC at `t`: one hour in British Summer Time
/// (`Europe/London`, as PostgreSQL has it).
pub fn uk_offset(t: DateTime<Utc>) -> Duration {
    Duration::seconds(i64::from(
        London.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc(),
    ))
}

/// A UK wall-clock time as UTC: in the hour that repeats when the clocks go
/// back, the first one; in the hour skipped when they go forward, read
/// with the offset before the change (01:30 is 01:30 GMT, 02:30 BST).
pub fn from_uk(local: NaiveDateTime) -> DateTime<Utc> {
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => Utc.from_utc_datetime(&local),
    }
}

pub use roundabout_api::uk_time::to_uk;

/// Reads an amount of pence sent as the API's exact `Pence` string
/// (`"2500000000"`, from the `…Amount` fields) or as a number. Pages read
/// totals through the `…Amount` fields, so a figure past the 32 bits of a
/// GraphQL `Int` (£21,474,836.47) still shows.
pub fn amount<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Sent {
        Number(i64),
        Text(String),
    }
    match <Sent as serde::Deserialize>::deserialize(d)? {
        Sent::Number(n) => Ok(n),
        Sent::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn both_clock_changes_are_read_as_europe_london() {
        let local = |m, d, h, min| {
            NaiveDate::from_ymd_opt(2026, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        // 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:30 does not exist
        // and is read as GMT (it was once turned into 00:30 GMT).
        assert_eq!(
            from_uk(local(3, 29, 0, 30)),
            Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap()
        );
        assert_eq!(
            from_uk(local(3, 29, 1, 30)),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
        assert_eq!(
            from_uk(local(3, 29, 2, 30)),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
        assert_eq!(
            from_uk(local(3, 29, 3, 0)),
            Utc.with_ymd_and_hms(2026, 3, 29, 2, 0, 0).unwrap()
        );
        // 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 happens twice
        // and the first (BST) is taken.
        assert_eq!(
            from_uk(local(10, 25, 1, 30)),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()
        );
        assert_eq!(
            from_uk(local(10, 25, 2, 30)),
            Utc.with_ymd_and_hms(2026, 10, 25, 2, 30, 0).unwrap()
        );
        assert_eq!(
            to_uk(Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap()),
            local(10, 25, 1, 30)
        );
        assert_eq!(
            to_uk(Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()),
            local(3, 29, 2, 0)
        );
    }

    #[test]
    fn uk_time_follows_british_summer_time() {
        let summer = NaiveDate::from_ymd_opt(2026, 7, 4)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(from_uk(summer), Utc.with_ymd_and_hms(2026, 7, 4, 9, 0, 0).unwrap());
        let winter = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(from_uk(winter), Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap());
        // 2026's clocks go forward on 29 March and back on 25 October.
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 0).unwrap()),
            Duration::zero()
        );
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()),
            Duration::hours(1)
        );
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap()),
            Duration::zero()
        );
    }

    #[test]
    fn amounts_are_read_from_the_exact_string_or_a_number() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "super::amount")]
            a: i64,
        }
        let t: T = serde_json::from_str(r#"{"a": "3000000000"}"#).unwrap();
        assert_eq!(t.a, 3_000_000_000);
        let t: T = serde_json::from_str(r#"{"a": -50}"#).unwrap();
        assert_eq!(t.a, -50);
        assert!(serde_json::from_str::<T>(r#"{"a": "£3"}"#).is_err());
    }
}
