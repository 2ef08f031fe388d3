//! The error codes, each declared once.
//!
//! A refusal carries a stable upper-case `code`: in a service's error
//! envelope (`{"error": {"code": …}}`), in the gateway's `UserError.code`
//! (a `String` in the public schema) and in a GraphQL error's
//! `extensions.code`. Every part builds and reads codes as [`ErrorCode`], so
//! a code typed in one crate and matched in another cannot drift apart; the
//! word on the wire is the same upper-case word as before.

use std::fmt;
use std::str::FromStr;

/// A word that names no error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode(pub String);

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an error code", self.0)
    }
}

impl std::error::Error for UnknownErrorCode {}

/// Declares the error code enum with its wire word for each value, and
/// `as_str`, `ALL`, `FromStr` and `Display` from that one list.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $word)]
                $variant,
            )+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The word sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownErrorCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok(Self::$variant),)+
                    _ => Err(UnknownErrorCode(s.to_owned())),
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

codes! {
    /// Why something was refused: the stable machine code of a refusal.
    pub enum ErrorCode {
        // ---- Any part ------------------------------------------------------

        /// The input is malformed or out of range (a field names which), or
        /// the database could not store a value of it.
        InvalidInput = "INVALID_INPUT",
        /// The thing asked for does not exist (or is not visible to the caller).
        NotFound = "NOT_FOUND",
        /// No credentials, or credentials that are not valid.
        Unauthenticated = "UNAUTHENTICATED",
        /// Acting outside one's role or tenancy.
        Forbidden = "FORBIDDEN",
        /// A failure on our side; the cause is logged, never shown.
        Internal = "INTERNAL",
        /// The route exists but not for this HTTP method (or a mutation sent by GET).
        MethodNotAllowed = "METHOD_NOT_ALLOWED",
        /// The request body is larger than allowed.
        PayloadTooLarge = "PAYLOAD_TOO_LARGE",
        /// The request body is not of a content type the route accepts.
        UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
        /// The same idempotency key or id was used for a different request.
        IdempotencyConflict = "IDEMPOTENCY_CONFLICT",
        /// The thing is not in a state that allows the action.
        InvalidState = "INVALID_STATE",

        // ---- Gateway -------------------------------------------------------

        /// The HTTP request is not a GraphQL request.
        BadRequest = "BAD_REQUEST",
        /// A batched request holds more operations than allowed.
        BatchTooLarge = "BATCH_TOO_LARGE",
        /// The request nests brackets deeper than allowed.
        TooDeeplyNested = "TOO_DEEPLY_NESTED",
        /// A query uses more aliases than allowed.
        TooManyAliases = "TOO_MANY_ALIASES",
        /// Introspection was asked for where it is turned off.
        IntrospectionDisabled = "INTROSPECTION_DISABLED",
        /// An introspection query nests its list fields (`fields`,
        /// `interfaces`, `possibleTypes`, `inputFields`) deeper than allowed.
        IntrospectionTooDeep = "INTROSPECTION_TOO_DEEP",
        /// A request tried to sign in (or set a password) more than once.
        OneSignInPerRequest = "ONE_SIGN_IN_PER_REQUEST",
        /// A client sent more requests than its rate limit allows.
        RateLimited = "RATE_LIMITED",
        /// A part of Roundabout could not be reached.
        ServiceUnavailable = "SERVICE_UNAVAILABLE",
        /// Too many password hashes are being computed at once.
        ServiceBusy = "SERVICE_BUSY",
        /// A part was serving as many requests as it admits; try again shortly.
        Overloaded = "OVERLOADED",
        /// A request took longer than its part's timeout and was stopped.
        TimedOut = "TIMED_OUT",
        /// An `Int` value does not fit in a GraphQL `Int`.
        ValueTooLarge = "VALUE_TOO_LARGE",
        /// An account with this email already exists.
        EmailTaken = "EMAIL_TAKEN",
        /// The email and password (or the current password) are not right.
        InvalidCredentials = "INVALID_CREDENTIALS",
        /// Sign-in to this account is paused after repeated failures.
        TooManyAttempts = "TOO_MANY_ATTEMPTS",
        /// A booking failed or expired without a more particular reason.
        BookingFailed = "BOOKING_FAILED",

        // ---- Eligibility ---------------------------------------------------

        /// A council with this code already exists.
        CodeTaken = "CODE_TAKEN",
        /// A zone's geometry is not valid or lies outside the council's boundary.
        InvalidGeometry = "INVALID_GEOMETRY",
        /// A scheme criterion's rule is not a valid rule.
        InvalidRule = "INVALID_RULE",
        /// A scheme's test case did not give its expected answer.
        TestCaseFailed = "TEST_CASE_FAILED",
        /// The scheme's budget cannot cover the subsidy.
        BudgetExhausted = "BUDGET_EXHAUSTED",

        // ---- Inventory -----------------------------------------------------

        /// Another vehicle already has this registration.
        RegistrationTaken = "REGISTRATION_TAKEN",

        // ---- Bookings ------------------------------------------------------

        /// The vehicle cannot be booked (missing, not available, not offered).
        VehicleUnavailable = "VEHICLE_UNAVAILABLE",
        /// The vehicle is already booked for part of the period.
        SlotUnavailable = "SLOT_UNAVAILABLE",
        /// The vehicle has no price for the period's kind.
        PriceUnavailable = "PRICE_UNAVAILABLE",
        /// A start further ahead than `BOOKING_MAX_LEAD_DAYS`.
        LeadTimeTooLong = "LEAD_TIME_TOO_LONG",
        /// A hire longer than `BOOKING_MAX_HIRE_DAYS`.
        HireTooLong = "HIRE_TOO_LONG",
        /// The household already has `BOOKING_MAX_UNPAID` bookings held or unpaid.
        TooManyUnpaidBookings = "TOO_MANY_UNPAID_BOOKINGS",
        /// The household already has `BOOKING_MAX_OVERLAPPING_HIRES` hires at that time.
        OverlappingBooking = "OVERLAPPING_BOOKING",
        /// A booking's payment could not be made or captured.
        PaymentFailed = "PAYMENT_FAILED",
        /// A booking's card payment was declined.
        PaymentDeclined = "PAYMENT_DECLINED",
        /// A booking's payment was not completed in time.
        PaymentTimeout = "PAYMENT_TIMEOUT",

        // ---- Payments ------------------------------------------------------

        /// Card payments are not configured (no Stripe key).
        CardPaymentsDisabled = "CARD_PAYMENTS_DISABLED",
        /// The card processor is not answering.
        PaymentProviderUnavailable = "PAYMENT_PROVIDER_UNAVAILABLE",
        /// A refund larger than what is left of the captured amount.
        RefundExceedsCaptured = "REFUND_EXCEEDS_CAPTURED",
        /// Stripe webhooks are not configured (no webhook secret).
        WebhooksDisabled = "WEBHOOKS_DISABLED",
        /// A webhook's Stripe-Signature is missing or wrong.
        InvalidSignature = "INVALID_SIGNATURE",

        // ---- Retention -----------------------------------------------------

        /// A retention period shorter than the kind's legal or operational minimum.
        RetentionTooShort = "RETENTION_TOO_SHORT",
        /// A retention period longer than the kind's maximum.
        RetentionTooLong = "RETENTION_TOO_LONG",
        /// A council tried to set the period of a kind of record only the operator sets.
        RetentionNotAdjustable = "RETENTION_NOT_ADJUSTABLE",
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for str {
    fn eq(&self, other: &ErrorCode) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> Self {
        code.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_word_round_trips() {
        for &code in ErrorCode::ALL {
            let word = code.as_str();
            assert_eq!(word.parse::<ErrorCode>(), Ok(code));
            assert_eq!(code.to_string(), word);
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(word.to_owned()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
            assert!(word.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{word}");
        }
    }

    #[test]
    fn no_two_codes_share_a_word() {
        let words: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(words.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn an_unknown_word_is_refused() {
        assert_eq!(
            "NO_SUCH_CODE".parse::<ErrorCode>(),
            Err(UnknownErrorCode("NO_SUCH_CODE".into()))
        );
        assert!(serde_json::from_str::<ErrorCode>("\"invalid_input\"").is_err());
    }
}
