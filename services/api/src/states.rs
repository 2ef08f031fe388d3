//! The states things pass through, each declared once.
//!
//! Every state is stored as `text` in its owner's database (with a `check`
//! constraint listing the same words), travels between parts as the same
//! upper-case word in JSON, and, where the public API shows it, is the
//! GraphQL enum of the same name. One type serves all three: `sqlx::Type`
//! (a `text` column), serde, and `async_graphql::Enum` under the `graphql`
//! feature. The doc comments on the GraphQL enums are the public schema's
//! descriptions.

use std::fmt;
use std::str::FromStr;

/// A word that names none of a state's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState {
    /// The state's type, e.g. `BookingStatus`.
    pub state: &'static str,
    /// The word that was given.
    pub given: String,
}

impl fmt::Display for UnknownState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a {}", self.given, self.state)
    }
}

impl std::error::Error for UnknownState {}

/// Declares a state enum with its stored and wire word for each value, and
/// `as_str`, `ALL`, `FromStr` and `Display` from that one list.
macro_rules! state {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[sqlx(type_name = "text")]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $word)]
                #[sqlx(rename = $word)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The word stored in the database and sent between parts.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownState;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok(Self::$variant),)+
                    _ => Err(UnknownState { state: stringify!($name), given: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// ---- Inventory -------------------------------------------------------------

state! {
    /// What kind of vehicle it is.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum VehicleKind {
        /// A car (GBFS form factor `car`).
        Car = "CAR",
        /// A van (`car`).
        Van = "VAN",
        /// A wheelchair-accessible vehicle (`car`).
        Wav = "WAV",
        /// A minibus (`car`).
        Minibus = "MINIBUS",
        /// An electric bike (`bicycle`).
        Ebike = "EBIKE",
        /// A cargo bike (`cargo_bicycle`).
        CargoBike = "CARGO_BIKE",
    }
}

state! {
    /// How a vehicle is powered (GBFS `propulsion_type`).
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum Propulsion {
        /// Battery electric (`electric`).
        Electric = "ELECTRIC",
        /// Hybrid (`hybrid`).
        Hybrid = "HYBRID",
        /// Petrol (`combustion`).
        Petrol = "PETROL",
        /// Diesel (`combustion_diesel`).
        Diesel = "DIESEL",
        /// Pedal power only (`human`).
        Human = "HUMAN",
        /// Pedals with electric assistance (`electric_assist`).
        ElectricAssist = "ELECTRIC_ASSIST",
    }
}

state! {
    /// A vehicle's state in its fleet; only AVAILABLE vehicles are offered.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum VehicleStatus {
        /// Can be offered and booked.
        Available = "AVAILABLE",
        /// Temporarily out of service.
        Maintenance = "MAINTENANCE",
        /// Permanently out of the fleet.
        Retired = "RETIRED",
    }
}

state! {
    /// A provider's standing in a council.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum ProviderStatus {
        /// Applied, not yet approved: its vehicles are not offered.
        Pending = "PENDING",
        /// Approved by the council's officers: its vehicles are offered there.
        Approved = "APPROVED",
        /// Suspended by the council's officers: its vehicles are not offered.
        Suspended = "SUSPENDED",
    }
}

// ---- Eligibility -----------------------------------------------------------

state! {
    /// Where a scheme is in its life.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum SchemeStatus {
        /// Being written; only officers see it.
        Draft = "DRAFT",
        /// Published: applies during its effective period.
        Active = "ACTIVE",
        /// Published but not applying until published again.
        Paused = "PAUSED",
        /// Ended for good.
        Closed = "CLOSED",
    }
}

state! {
    /// Where one booking's share of a scheme budget stands.
    pub enum AllocationState {
        /// Reserved while the booking is paid for; lapses if not committed.
        Held = "HELD",
        /// Spent: the booking is confirmed.
        Committed = "COMMITTED",
        /// Given back to the budget.
        Released = "RELEASED",
    }
}

// ---- Bookings --------------------------------------------------------------

state! {
    /// A kind of booking.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum BookingKind {
        /// Car-club hire by the hour or day.
        Hire = "HIRE",
        /// A monthly lease.
        Lease = "LEASE",
    }
}

state! {
    /// Where a booking stands.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum BookingStatus {
        /// Reserved; the payment or the subsidy is not settled yet.
        PendingPayment = "PENDING_PAYMENT",
        /// Paid and subsidised; the vehicle is the household's for the period.
        Confirmed = "CONFIRMED",
        /// The period has started.
        Active = "ACTIVE",
        /// The period has ended.
        Completed = "COMPLETED",
        /// Cancelled by the household or an officer.
        Cancelled = "CANCELLED",
        /// Not paid in time.
        Expired = "EXPIRED",
        /// Refused by the payment or the scheme budget; nothing was taken.
        Failed = "FAILED",
    }
}

state! {
    /// The next thing a booking's saga must do, as stored in `bookings.step`.
    pub enum SagaStep {
        /// Hold the subsidy in the scheme's budget.
        HoldBudget = "HOLD_BUDGET",
        /// Authorise the household's share.
        Charge = "CHARGE",
        /// Commit the held subsidy.
        CommitBudget = "COMMIT_BUDGET",
        /// Take the authorised payment.
        Capture = "CAPTURE",
        /// Release an authorised payment that will not be taken.
        ReleasePayment = "RELEASE_PAYMENT",
        /// Refund what was taken, as the refund policy allows.
        Refund = "REFUND",
        /// Give the subsidy back to the budget.
        ReleaseBudget = "RELEASE_BUDGET",
        /// Free the vehicle's calendar slot.
        FreeSlot = "FREE_SLOT",
        /// Record what the provider is owed.
        Payout = "PAYOUT",
        /// Nothing left to do.
        Done = "DONE",
    }
}

state! {
    /// How long each point of a report over time is.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum ReportInterval {
        /// A UK day: periods up to 62 days.
        Day = "DAY",
        /// A week from Monday: periods up to two years.
        Week = "WEEK",
        /// A calendar month: longer periods.
        Month = "MONTH",
    }
}

// ---- Payments --------------------------------------------------------------

state! {
    /// Where a booking's payment stands as payments stores it: the public
    /// `PaymentStatus`, plus `PENDING` while the outcome of a card processor
    /// call is not yet known.
    pub enum PaymentState {
        /// The outcome of a processor call is not known yet.
        Pending = "PENDING",
        /// The household must complete the card payment.
        RequiresAction = "REQUIRES_ACTION",
        /// Authorised (or invoiced), not yet taken.
        Authorised = "AUTHORISED",
        /// Taken.
        Captured = "CAPTURED",
        /// Part refunded.
        PartiallyRefunded = "PARTIALLY_REFUNDED",
        /// Refunded in full.
        Refunded = "REFUNDED",
        /// Declined or failed; nothing taken.
        Failed = "FAILED",
        /// Released before capture; nothing taken.
        Cancelled = "CANCELLED",
        /// The subsidy covers everything.
        NotRequired = "NOT_REQUIRED",
    }
}

impl PaymentState {
    /// Money has been taken (or invoiced) and may be refunded.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Captured | Self::PartiallyRefunded | Self::Refunded)
    }
}

state! {
    /// How the household pays its share.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum PaymentMethodKind {
        /// By card.
        Card = "CARD",
        /// By invoice.
        Invoice = "INVOICE",
        /// Nothing to pay.
        None = "NONE",
    }
}

state! {
    /// Where one monthly instalment of a lease stands.
    pub enum InstalmentStatus {
        /// Due on its date, not yet charged.
        Scheduled = "SCHEDULED",
        /// Charged.
        Paid = "PAID",
        /// The charge failed.
        Failed = "FAILED",
        /// The lease ended before it was due.
        Cancelled = "CANCELLED",
    }
}

state! {
    /// Whether a provider has been paid what a booking earned it.
    pub enum PayoutStatus {
        /// Owed.
        Due = "DUE",
        /// Paid.
        Paid = "PAID",
    }
}

// ---- Gateway ---------------------------------------------------------------

state! {
    /// What a user may act as.
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum Role {
        Household = "HOUSEHOLD",
        Provider = "PROVIDER",
        Officer = "OFFICER",
        Admin = "ADMIN",
    }
}

// ---- Retention -------------------------------------------------------------

state! {
    /// A kind of record Roundabout deletes once it is old enough
    /// (`docs/DATA-PROTECTION.md`, "Retention").
    #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
    pub enum RetentionKind {
        /// Eligibility decisions (each check or quote for a household, with the facts it used).
        EligibilityDecisions = "ELIGIBILITY_DECISIONS",
        /// The record of who other than the household read its profile.
        ProfileReads = "PROFILE_READS",
        /// The audit log of what officers did for households.
        AssistedActions = "ASSISTED_ACTIONS",
        /// Bookings that expired or failed without moving any money.
        AbandonedBookings = "ABANDONED_BOOKINGS",
        /// Counts of wrong passwords per account.
        SignInAttempts = "SIGN_IN_ATTEMPTS",
        /// Signed-in sessions, once ended or expired.
        Sessions = "SESSIONS",
        /// Messages between parts, once delivered.
        DeliveredMessages = "DELIVERED_MESSAGES",
        /// Messages between parts that could not be delivered.
        DeadMessages = "DEAD_MESSAGES",
        /// Payment events received by bookings, once acted on.
        PaymentEvents = "PAYMENT_EVENTS",
        /// Stripe's webhook events, once applied.
        StripeEvents = "STRIPE_EVENTS",
        /// Payments, refunds, payouts and the ledger's transactions.
        FinancialRecords = "FINANCIAL_RECORDS",
        /// Messages sent to people (email, text message, letter) with the
        /// address each went to.
        Notifications = "NOTIFICATIONS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_its_value() {
        for s in BookingStatus::ALL {
            assert_eq!(s.as_str().parse::<BookingStatus>(), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for s in SagaStep::ALL {
            assert_eq!(s.as_str().parse::<SagaStep>(), Ok(*s));
        }
        assert_eq!(PaymentState::ALL.len(), 9);
    }

    #[test]
    fn an_unknown_word_is_refused_with_its_state() {
        let e = "ARCHIVED".parse::<SchemeStatus>().unwrap_err();
        assert_eq!(e.state, "SchemeStatus");
        assert_eq!(e.to_string(), "\"ARCHIVED\" is not a SchemeStatus");
        assert!(serde_json::from_str::<VehicleKind>("\"car\"").is_err());
    }

    #[test]
    fn stored_words_are_the_schema_words() {
        assert_eq!(VehicleKind::CargoBike.as_str(), "CARGO_BIKE");
        assert_eq!(Propulsion::ElectricAssist.to_string(), "ELECTRIC_ASSIST");
        assert_eq!(SagaStep::ReleaseBudget.as_str(), "RELEASE_BUDGET");
    }
}
