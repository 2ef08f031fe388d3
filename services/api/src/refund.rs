//! The cancellation policy: what a household gets back when it cancels.
//! The bookings service applies it; the gateway shows it before a
//! cancellation is confirmed (`Booking.refundIfCancelledPence`).

use chrono::{DateTime, Duration, Utc};

use crate::Pence;

/// How long before the start a cancellation still gets everything back.
pub const FULL_REFUND_NOTICE: Duration = Duration::hours(24);

/// The household's refund of `paid` on cancellation at `at`: at least 24
/// hours before the start, everything paid; less, half (rounded down to
/// the penny); at or after the start, nothing.
pub fn refund_due(paid: Pence, start: DateTime<Utc>, at: DateTime<Utc>) -> Pence {
    if at >= start {
        Pence::ZERO
    } else if start - at >= FULL_REFUND_NOTICE {
        paid
    } else {
        Pence(paid.get() / 2)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn refund_policy() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let paid = Pence(1000);
        assert_eq!(refund_due(paid, start, start - Duration::days(3)), Pence(1000));
        assert_eq!(refund_due(paid, start, start - Duration::hours(24)), Pence(1000));
        assert_eq!(refund_due(paid, start, start - Duration::hours(23)), Pence(500));
        assert_eq!(refund_due(paid, start, start - Duration::seconds(1)), Pence(500));
        assert_eq!(refund_due(paid, start, start), Pence::ZERO);
        assert_eq!(refund_due(paid, start, start + Duration::hours(1)), Pence::ZERO);
        // Half of an odd amount is rounded down.
        assert_eq!(refund_due(Pence(1001), start, start - Duration::hours(1)), Pence(500));
    }
}
