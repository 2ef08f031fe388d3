//! Small-number suppression, one rule for every figure about households
//! that Roundabout shows: reports' breakdowns (bookings) and schemes'
//! simulations (eligibility). A count from 1 to 9 could point at a single
//! household, so it is withheld (`None`) where the number is produced and
//! written "fewer than 10" wherever it is shown. Zero is given: it points
//! at no one.

/// Counts from 1 up to (not including) this are withheld.
pub const SUPPRESS_BELOW: i64 = 10;

/// How a withheld count is written, on pages and in downloads.
pub const WITHHELD: &str = "fewer than 10";

/// A count as it may be given: `None` for 1 to 9.
pub fn suppressed(n: i64) -> Option<i64> {
    (n <= 0 || n >= SUPPRESS_BELOW).then_some(n)
}

/// Whether a count may be given as it is.
pub fn may_show(n: i64) -> bool {
    suppressed(n).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_nine_are_withheld_and_zero_and_ten_are_not() {
        assert_eq!(suppressed(0), Some(0));
        assert_eq!(suppressed(1), None);
        assert_eq!(suppressed(9), None);
        assert_eq!(suppressed(10), Some(10));
        assert!(!may_show(3));
        assert_eq!(WITHHELD, format!("fewer than {SUPPRESS_BELOW}"));
    }
}
