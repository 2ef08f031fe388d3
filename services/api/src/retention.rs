//! How long each kind of record is kept, declared once: its default, the
//! bounds a period must stay within, whether a council may choose its own,
//! the variable an operator sets it with and how it is described to
//! officers. Every part reads its periods from the same variables
//! (`roundabout_support::retention`); eligibility stores councils' own
//! periods and checks them against these bounds; the gateway shows them.
//! `docs/DATA-PROTECTION.md` ("Retention") gives the reason for each.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{states::RetentionKind, ErrorCode};

/// One kind of record's retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub kind: RetentionKind,
    /// The environment variable that sets the default, in days.
    pub var: &'static str,
    pub default_days: i32,
    /// The shortest period allowed (a legal or operational minimum).
    pub min_days: i32,
    /// The longest period allowed.
    pub max_days: i32,
    /// Whether each council may choose its own period (else the operator's
    /// configuration alone decides).
    pub council_decides: bool,
    /// What is deleted and when, in plain words; `{days}` is the period.
    pub wording: &'static str,
}

/// Two years, in days.
const TWO_YEARS: i32 = 730;
/// Six years, in days (leap days included).
pub const SIX_YEARS: i32 = 2192;

/// Every kind's rule, in [`RetentionKind::ALL`]'s order.
pub const RULES: &[Rule] = &[
    Rule {
        kind: RetentionKind::EligibilityDecisions,
        var: "RETENTION_ELIGIBILITY_DECISIONS_DAYS",
        default_days: TWO_YEARS,
        min_days: 365,
        max_days: SIX_YEARS,
        council_decides: true,
        wording: "Each eligibility decision made for a household (a check of what it can get, or a \
                  subsidy quote), with the answers it was made on, is deleted {days} days after it was made.",
    },
    Rule {
        kind: RetentionKind::ProfileReads,
        var: "RETENTION_PROFILE_READS_DAYS",
        default_days: TWO_YEARS,
        min_days: 365,
        max_days: SIX_YEARS,
        council_decides: true,
        wording: "The record of each time someone other than the household (an officer) read a \
                  household's answers is deleted {days} days after the reading.",
    },
    Rule {
        kind: RetentionKind::AssistedActions,
        var: "RETENTION_ASSISTED_ACTIONS_DAYS",
        default_days: TWO_YEARS,
        min_days: 365,
        max_days: SIX_YEARS,
        council_decides: true,
        wording: "Each entry of the audit log of what officers did for households is deleted {days} \
                  days after the action.",
    },
    Rule {
        kind: RetentionKind::AbandonedBookings,
        var: "RETENTION_ABANDONED_BOOKINGS_DAYS",
        default_days: 90,
        min_days: 30,
        max_days: TWO_YEARS,
        council_decides: true,
        wording: "A booking that expired or failed without any money being taken is deleted {days} \
                  days after it ended.",
    },
    Rule {
        kind: RetentionKind::SignInAttempts,
        var: "RETENTION_SIGN_IN_ATTEMPTS_DAYS",
        default_days: 30,
        min_days: 1,
        max_days: 365,
        council_decides: false,
        wording: "The count of wrong passwords given for an account is deleted {days} days after \
                  the last attempt.",
    },
    Rule {
        kind: RetentionKind::Sessions,
        var: "RETENTION_SESSIONS_DAYS",
        default_days: 30,
        min_days: 1,
        max_days: 365,
        council_decides: false,
        wording: "A signed-in session is deleted {days} days after it was signed out or expired.",
    },
    Rule {
        kind: RetentionKind::DeliveredMessages,
        var: "RETENTION_DELIVERED_MESSAGES_DAYS",
        default_days: 30,
        min_days: 7,
        max_days: 365,
        council_decides: false,
        wording: "A message between parts of the service is deleted {days} days after it was delivered.",
    },
    Rule {
        kind: RetentionKind::DeadMessages,
        var: "RETENTION_DEAD_MESSAGES_DAYS",
        default_days: 365,
        min_days: 30,
        max_days: 3653,
        council_decides: false,
        wording: "A message between parts of the service that could not be delivered is deleted \
                  {days} days after it was given up.",
    },
    Rule {
        kind: RetentionKind::PaymentEvents,
        var: "RETENTION_PAYMENT_EVENTS_DAYS",
        default_days: 30,
        min_days: 7,
        max_days: 365,
        council_decides: false,
        wording: "A payment event received by bookings is deleted {days} days after it was acted on.",
    },
    Rule {
        kind: RetentionKind::StripeEvents,
        var: "RETENTION_STRIPE_EVENTS_DAYS",
        default_days: 90,
        min_days: 30,
        max_days: TWO_YEARS,
        council_decides: false,
        wording: "An event from the card processor (Stripe) is deleted {days} days after it was received \
                  and applied.",
    },
    Rule {
        kind: RetentionKind::FinancialRecords,
        var: "RETENTION_FINANCIAL_RECORDS_DAYS",
        default_days: SIX_YEARS,
        min_days: SIX_YEARS,
        max_days: 3653,
        council_decides: false,
        wording: "Payments, refunds, payouts and their accounting entries are deleted {days} days after \
                  the last of a booking's was made; account balances are kept as one entry brought forward.",
    },
    Rule {
        kind: RetentionKind::Notifications,
        var: "RETENTION_NOTIFICATIONS_DAYS",
        default_days: 365,
        min_days: 30,
        max_days: TWO_YEARS,
        council_decides: false,
        wording: "A message sent to a person (an email, a text message or a letter), with the address it went \
                  to and what it said, is deleted {days} days after it was delivered, failed or was withdrawn.",
    },
];

/// The rule of `kind`.
pub fn rule(kind: RetentionKind) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.kind == kind)
        .expect("every retention kind has a rule")
}

impl Rule {
    /// The plain-words description with `days` filled in.
    pub fn describe(&self, days: i32) -> String {
        self.wording.replace("{days}", &days.to_string())
    }

    /// Whether `days` is allowed for this kind: the refusal's code and
    /// message when it is not.
    pub fn check(&self, days: i32) -> Result<(), (ErrorCode, String)> {
        if days < self.min_days {
            Err((
                ErrorCode::RetentionTooShort,
                format!("{} must be kept at least {} days", self.kind, self.min_days),
            ))
        } else if days > self.max_days {
            Err((
                ErrorCode::RetentionTooLong,
                format!("{} may be kept at most {} days", self.kind, self.max_days),
            ))
        } else {
            Ok(())
        }
    }
}

/// A council's period for one kind, as eligibility answers it
/// (`GET /internal/councils/{id}/retention`, one per kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RetentionPeriodData {
    pub kind: RetentionKind,
    /// The period in force for the council, in days.
    pub days: i32,
    /// The operator's default.
    pub default_days: i32,
    /// Whether the council chose `days` itself.
    pub overridden: bool,
    /// Whether the council may choose (see [`Rule::council_decides`]).
    pub council_decides: bool,
}

/// `PUT /internal/councils/{id}/retention`: the council's own periods;
/// `days: null` returns a kind to the default. Kinds not listed keep what
/// they have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RetentionIn {
    pub periods: Vec<RetentionPeriodIn>,
}

/// One kind's new period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RetentionPeriodIn {
    pub kind: RetentionKind,
    pub days: Option<i32>,
}

/// A council's own period for a kind (`GET /internal/retention/overrides`
/// answers every one, for the parts that delete records of councils they do
/// not own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilPeriodData {
    pub council_id: Uuid,
    pub kind: RetentionKind,
    pub days: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_rule_within_its_bounds() {
        assert_eq!(RULES.len(), RetentionKind::ALL.len());
        for (r, kind) in RULES.iter().zip(RetentionKind::ALL) {
            assert_eq!(r.kind, *kind);
            assert!(r.min_days >= 1 && r.min_days <= r.default_days && r.default_days <= r.max_days);
            assert!(r.check(r.default_days).is_ok());
            assert!(r.var.starts_with("RETENTION_") && r.var.ends_with("_DAYS"));
            assert!(r.describe(7).contains("7 days"), "{}", r.kind);
        }
    }

    #[test]
    fn periods_outside_the_bounds_are_refused_with_their_code() {
        let r = rule(RetentionKind::EligibilityDecisions);
        assert_eq!(r.check(r.min_days - 1).unwrap_err().0, ErrorCode::RetentionTooShort);
        assert_eq!(r.check(r.max_days + 1).unwrap_err().0, ErrorCode::RetentionTooLong);
        // Six years of accounting records is the legal floor.
        assert_eq!(rule(RetentionKind::FinancialRecords).min_days, SIX_YEARS);
    }
}
