//! How long each kind of record about a resident is kept, as the privacy
//! notices say it. Read from one place, [`retention_periods`], so the
//! notice cannot say two things; the periods are the service's defaults.

/// How long a kind of record is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Years(u32),
    /// Counted from when the session ended (signed out or expired).
    DaysAfterSessionEnds(u32),
    /// Counted from when the message was delivered.
    DaysAfterDelivery(u32),
    /// Years after the end of the financial year the record belongs to
    /// (what HMRC asks of accounts).
    YearsAfterFinancialYear(u32),
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
            Period::YearsAfterFinancialYear(y) => {
                format!(
                    "{} after the end of the financial year it belongs to",
                    n(y, "year", "years")
                )
            }
            Period::UntilClosed => "Until you close your account".into(),
        }
    }
}

/// The kinds of record and how long each is kept, by default.
pub const DEFAULT_PERIODS: &[(&str, Period)] = &[
    (
        "Your account and your answers about your household",
        Period::UntilClosed,
    ),
    (
        "Decisions about which schemes you can get, and the record of each time a council officer read your answers",
        Period::Years(2),
    ),
    (
        "The record of what council officers did for you (assisted booking)",
        Period::Years(2),
    ),
    ("Attempts to sign in to your account", Period::Days(30)),
    ("Records of when you were signed in", Period::DaysAfterSessionEnds(30)),
    (
        "Messages the website's systems send each other about your bookings and payments",
        Period::DaysAfterDelivery(30),
    ),
    ("Messages from Stripe about card payments", Period::Days(90)),
    ("Bookings that were started but never paid for", Period::Days(90)),
    (
        "Payments, refunds and the accounts of them",
        Period::YearsAfterFinancialYear(6),
    ),
];

/// Each kind of record with how long it is kept, in words, as the privacy
/// notice lists them.
pub fn retention_periods() -> Vec<(&'static str, String)> {
    DEFAULT_PERIODS.iter().map(|&(what, p)| (what, p.words())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_said_in_words() {
        let p = retention_periods();
        assert_eq!(p.len(), DEFAULT_PERIODS.len());
        assert_eq!(p[0].1, "Until you close your account");
        assert!(p.iter().any(|(_, w)| w == "2 years"));
        assert!(p
            .iter()
            .any(|(_, w)| w == "30 days after you sign out or are signed out"));
        assert!(p
            .iter()
            .any(|(_, w)| w == "6 years after the end of the financial year it belongs to"));
        assert_eq!(Period::Days(1).words(), "1 day");
    }
}
