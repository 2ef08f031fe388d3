//! How long each kind of record about a resident is kept, as the privacy
//! notices say it. Read from one place, [`retention_periods`], so the
//! notice cannot say two things; the periods are the council's own where
//! it chose them, else the service's (`Council.retention`).

/// How long a kind of record is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Years(u32),
    /// Counted from when the session ended (signed out or expired).
    DaysAfterSessionEnds(u32),
    /// Counted from when the message was delivered.
    DaysAfterDelivery(u32),
    /// Until the account is closed.
    UntilClosed,
}

impl Period {
    pub fn words(self) -> String {
        use crate::pages::vocabulary::plural;
        let n = |n: u32, one, many| plural(i64::from(n), one, many);
        match self {
            Period::Days(d) => n(d, "day", "days"),
            Period::Years(y) => n(y, "year", "years"),
            Period::DaysAfterSessionEnds(d) => format!("{} after you sign out or are signed out", n(d, "day", "days")),
            Period::DaysAfterDelivery(d) => format!("{} after it is delivered", n(d, "day", "days")),
            Period::UntilClosed => "Until you close your account".into(),
        }
    }
}

/// A council's period for one kind of record, as `Council.retention` gives it.
#[derive(serde::Deserialize, Clone, Debug)]
pub struct Live {
    pub kind: String,
    pub days: i32,
}

/// What the notice calls each kind of record the service deletes when it
/// is old enough, and how its period is counted.
/// A kind of record (`RetentionKind`'s word), what the notice calls it, and
/// how its period is counted.
type Kind = (&'static str, &'static str, fn(u32) -> Period);

const KINDS: &[Kind] = &[
    (
        "ELIGIBILITY_DECISIONS",
        "Decisions about which schemes you can get, with the answers they were made on",
        days,
    ),
    (
        "PROFILE_READS",
        "The record of each time a council officer read your answers",
        days,
    ),
    (
        "ASSISTED_ACTIONS",
        "The record of what council officers did for you (assisted booking)",
        days,
    ),
    ("SIGN_IN_ATTEMPTS", "Attempts to sign in to your account", days),
    (
        "SESSIONS",
        "Records of when you were signed in",
        Period::DaysAfterSessionEnds,
    ),
    (
        "DELIVERED_MESSAGES",
        "Messages the website's systems send each other about your bookings and payments",
        Period::DaysAfterDelivery,
    ),
    ("STRIPE_EVENTS", "Messages from Stripe about card payments", days),
    (
        "ABANDONED_BOOKINGS",
        "Bookings that were started but never paid for",
        days,
    ),
    ("FINANCIAL_RECORDS", "Payments, refunds and the accounts of them", days),
];

/// Whole years when the days are (give or take the leap days), else days.
fn days(d: u32) -> Period {
    let years = (f64::from(d) / 365.25).round();
    if years >= 1.0 && (years * 365.25 - f64::from(d)).abs() <= 1.5 {
        Period::Years(years as u32)
    } else {
        Period::Days(d)
    }
}

/// Each kind of record with how long the council keeps it, in words, as
/// the privacy notice lists them: the account first, then every kind the
/// service deletes, with the council's own period where it chose one
/// (`live`, from `Council.retention`).
pub fn retention_periods(live: &[Live]) -> Vec<(&'static str, String)> {
    let mut out = vec![(
        "Your account and your answers about your household",
        Period::UntilClosed.words(),
    )];
    for (kind, what, period) in KINDS {
        if let Some(l) = live.iter().find(|l| l.kind == *kind) {
            out.push((what, period(u32::try_from(l.days).unwrap_or(0)).words()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_said_in_words() {
        let live = |kind: &str, days| Live {
            kind: kind.into(),
            days,
        };
        let p = retention_periods(&[
            live("ELIGIBILITY_DECISIONS", 730),
            live("SESSIONS", 30),
            live("FINANCIAL_RECORDS", 2192),
            live("ASSISTED_ACTIONS", 400),
        ]);
        assert_eq!(p.len(), 5);
        assert_eq!(p[0].1, "Until you close your account");
        assert_eq!(p[1].1, "2 years");
        assert_eq!(p[2].1, "400 days");
        assert_eq!(p[3].1, "30 days after you sign out or are signed out");
        assert_eq!(p[4].1, "6 years");
        assert_eq!(Period::Days(1).words(), "1 day");
    }
}
