//! Booking rules with no I/O: the period of a hire or lease, the checks of
//! a request, prices per `BRIEF.md` and the cancellation policy.

use chrono::{DateTime, Duration, Months, Utc};
use roundabout_support::ApiError;
use serde::{Deserialize, Serialize};

/// The longest hire.
pub const MAX_HIRE_DAYS: i64 = 14;

/// What is being booked, as the request says it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeriodIn {
    pub kind: String,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub lease_months: Option<i32>,
}

/// A checked, half-open period `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Some for a lease.
    pub lease_months: Option<i32>,
}

/// Checks a period against `now`: start in the future, end after start,
/// a hire of at most 14 days, a lease of 1 to 36 months.
pub fn check_period(p: &PeriodIn, now: DateTime<Utc>) -> Result<Period, ApiError> {
    if p.start <= now {
        return Err(ApiError::invalid("start", "The start must be in the future"));
    }
    match p.kind.as_str() {
        "HIRE" => {
            if p.lease_months.is_some() {
                return Err(ApiError::invalid("leaseMonths", "A hire has no lease months"));
            }
            let end = p.end.ok_or_else(|| ApiError::invalid("end", "A hire needs an end"))?;
            if end <= p.start {
                return Err(ApiError::invalid("end", "The end must be after the start"));
            }
            if end - p.start > Duration::days(MAX_HIRE_DAYS) {
                return Err(ApiError::invalid("end", "A hire lasts at most 14 days"));
            }
            Ok(Period {
                start: p.start,
                end,
                lease_months: None,
            })
        }
        "LEASE" => {
            let months = p
                .lease_months
                .ok_or_else(|| ApiError::invalid("leaseMonths", "A lease needs its number of months"))?;
            if !(1..=36).contains(&months) {
                return Err(ApiError::invalid("leaseMonths", "A lease lasts 1 to 36 months"));
            }
            if p.end.is_some() {
                return Err(ApiError::invalid("end", "A lease ends after its months; give no end"));
            }
            let end = p
                .start
                .checked_add_months(Months::new(months.unsigned_abs()))
                .ok_or_else(|| ApiError::invalid("start", "The lease runs past the calendar"))?;
            Ok(Period {
                start: p.start,
                end,
                lease_months: Some(months),
            })
        }
        _ => Err(ApiError::invalid("kind", "The kind must be HIRE or LEASE")),
    }
}

/// A vehicle's prices, in pence.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Prices {
    pub per_hour_pence: Option<i64>,
    pub per_day_pence: Option<i64>,
    pub per_month_lease_pence: Option<i64>,
}

/// The price of a period: (whole, first payment). A hire is
/// `min(perHour × ceil(hours), perDay × ceil(days))` over the prices the
/// vehicle has; a lease `perMonth × months`, the first payment one month.
/// None when the vehicle lacks the price the kind needs.
pub fn price(prices: &Prices, period: &Period) -> Option<(i64, i64)> {
    match period.lease_months {
        Some(months) => {
            let m = prices.per_month_lease_pence?;
            Some((m.checked_mul(i64::from(months))?, m))
        }
        None => {
            let secs = (period.end - period.start).num_seconds().max(0);
            let hours = (secs + 3599) / 3600;
            let days = (secs + 86_399) / 86_400;
            let by_hour = prices.per_hour_pence.and_then(|p| p.checked_mul(hours));
            let by_day = prices.per_day_pence.and_then(|p| p.checked_mul(days));
            let best = match (by_hour, by_day) {
                (Some(h), Some(d)) => h.min(d),
                (Some(h), None) => h,
                (None, Some(d)) => d,
                (None, None) => return None,
            };
            Some((best, best))
        }
    }
}

/// The household's refund on cancellation at `at`: ≥ 24 h before the start,
/// everything paid; less, half; after the start, nothing.
pub fn refund_due(paid_pence: i64, start: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    if at >= start {
        0
    } else if start - at >= Duration::hours(24) {
        paid_pence
    } else {
        paid_pence / 2
    }
}

/// Pounds and pence for people, e.g. `£24.00`.
pub fn pounds(pence: i64) -> String {
    format!("£{}.{:02}", pence / 100, (pence % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 5, h, 0, 0).unwrap()
    }

    fn hire(start: DateTime<Utc>, end: DateTime<Utc>) -> PeriodIn {
        PeriodIn {
            kind: "HIRE".into(),
            start,
            end: Some(end),
            lease_months: None,
        }
    }

    #[test]
    fn hire_takes_the_cheaper_of_hours_and_days() {
        let prices = Prices {
            per_hour_pence: Some(1000),
            per_day_pence: Some(3000),
            per_month_lease_pence: None,
        };
        let now = at(0);
        let p = check_period(&hire(at(10), at(14)), now).unwrap();
        assert_eq!(price(&prices, &p), Some((3000, 3000)));
        let p = check_period(&hire(at(10), at(12)), now).unwrap();
        assert_eq!(price(&prices, &p), Some((2000, 2000)));
        let p = check_period(&hire(at(10), at(10) + Duration::minutes(61)), now).unwrap();
        assert_eq!(price(&prices, &p), Some((2000, 2000)));
        let only_day = Prices {
            per_day_pence: Some(3000),
            ..Prices::default()
        };
        let p = check_period(&hire(at(10), at(10) + Duration::hours(25)), now).unwrap();
        assert_eq!(price(&only_day, &p), Some((6000, 6000)));
        assert_eq!(price(&Prices::default(), &p), None);
    }

    #[test]
    fn lease_is_monthly() {
        let prices = Prices {
            per_month_lease_pence: Some(30_000),
            ..Prices::default()
        };
        let p = check_period(
            &PeriodIn {
                kind: "LEASE".into(),
                start: at(10),
                end: None,
                lease_months: Some(12),
            },
            at(0),
        )
        .unwrap();
        assert_eq!(price(&prices, &p), Some((360_000, 30_000)));
        assert_eq!(p.end, Utc.with_ymd_and_hms(2031, 1, 5, 10, 0, 0).unwrap());
    }

    #[test]
    fn bad_periods_are_refused() {
        let now = at(9);
        let code = |p: PeriodIn| check_period(&p, now).unwrap_err().body.field.unwrap()[0].clone();
        assert_eq!(code(hire(at(8), at(10))), "start");
        assert_eq!(code(hire(at(12), at(11))), "end");
        assert_eq!(code(hire(at(12), at(12))), "end");
        assert_eq!(code(hire(at(12), at(12) + Duration::days(100))), "end");
        for months in [0, 50] {
            let p = PeriodIn {
                kind: "LEASE".into(),
                start: at(10),
                end: None,
                lease_months: Some(months),
            };
            assert_eq!(code(p), "leaseMonths");
        }
    }

    #[test]
    fn refund_policy() {
        let start = at(12) + Duration::days(3);
        assert_eq!(refund_due(1000, start, start - Duration::hours(24)), 1000);
        assert_eq!(refund_due(1000, start, start - Duration::hours(23)), 500);
        assert_eq!(refund_due(1000, start, start), 0);
        assert_eq!(pounds(2400), "£24.00");
        assert_eq!(pounds(1605), "£16.05");
    }
}
