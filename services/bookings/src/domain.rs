//! Booking rules with no I/O: the period of a hire or lease, the checks of
//! a request, the bounds on what a household may book, prices per
//! `docs/RULES.md` and the cancellation policy.

use chrono::{DateTime, Duration, Months, Utc};
use roundabout_api::{inventory::VehicleData, ErrorCode, Pence};
use roundabout_support::ApiError;

/// The longest hire when `BOOKING_MAX_HIRE_DAYS` is unset.
pub const MAX_HIRE_DAYS: i64 = 14;
/// The longest lease, in months.
pub const MAX_LEASE_MONTHS: i32 = 36;

/// Bounds on what a household may book, from the environment (see
/// `Config::from_env`); the defaults are what a council can go live with.
/// They apply alike when an officer books for a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How far ahead a hire or lease may start, in days (`BOOKING_MAX_LEAD_DAYS`, 365).
    pub max_lead_days: i64,
    /// The longest hire, in days (`BOOKING_MAX_HIRE_DAYS`, 14).
    pub max_hire_days: i64,
    /// Bookings one household may have at once that are held (waiting for
    /// their payment) or on an invoice not yet paid (`BOOKING_MAX_UNPAID`, 2).
    pub max_unpaid: i64,
    /// Hires of one household whose times overlap (`BOOKING_MAX_OVERLAPPING_HIRES`, 1:
    /// one vehicle at a time).
    pub max_overlapping_hires: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_lead_days: 365,
            max_hire_days: MAX_HIRE_DAYS,
            max_unpaid: 2,
            max_overlapping_hires: 1,
        }
    }
}

impl Limits {
    /// Bounds so wide no test or benchmark meets them (never in production).
    pub fn unbounded() -> Self {
        Self {
            max_lead_days: 3_650,
            max_hire_days: MAX_HIRE_DAYS,
            max_unpaid: 1_000_000,
            max_overlapping_hires: 1_000_000,
        }
    }

    /// What a household already has, against these bounds: the refusal for
    /// a new booking, if any. `overlapping_hires` counts only when the new
    /// booking is a hire.
    pub fn check_household(&self, load: HouseholdLoad, is_hire: bool) -> Result<(), ApiError> {
        if is_hire && load.overlapping_hires >= self.max_overlapping_hires {
            let message = if self.max_overlapping_hires == 1 {
                "You already have a hire at this time; a household hires one vehicle at a time".to_string()
            } else {
                format!(
                    "You already have {} hires at this time, the most a household may have",
                    self.max_overlapping_hires
                )
            };
            return Err(ApiError::conflict(ErrorCode::OverlappingBooking, message).with_field(["start"]));
        }
        if load.unpaid >= self.max_unpaid {
            return Err(ApiError::conflict(
                ErrorCode::TooManyUnpaidBookings,
                format!(
                    "You already have {} bookings waiting for payment or on an unpaid invoice, the most a \
                     household may have at once; pay or cancel one first",
                    load.unpaid
                ),
            ));
        }
        Ok(())
    }
}

/// A household's live bookings, as [`Limits::check_household`] counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HouseholdLoad {
    /// Held (waiting for their payment) or confirmed on an invoice, not yet ended.
    pub unpaid: i64,
    /// Live hires overlapping the period asked for.
    pub overlapping_hires: i64,
}

/// What is being booked, as the request says it (the contract's).
pub use roundabout_api::bookings::PeriodIn;

/// A checked, half-open period `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Some for a lease.
    pub lease_months: Option<i32>,
}

/// Checks a period against `now` and `limits`: start in the future and
/// at most `max_lead_days` ahead, end after start, a hire of at most
/// `max_hire_days`, a lease of 1 to 36 months.
pub fn check_period(p: &PeriodIn, now: DateTime<Utc>, limits: &Limits) -> Result<Period, ApiError> {
    if p.start <= now {
        return Err(ApiError::invalid("start", "The start must be in the future"));
    }
    if p.start - now > Duration::days(limits.max_lead_days) {
        return Err(ApiError::unprocessable(
            ErrorCode::LeadTimeTooLong,
            format!("A booking can start at most {} days ahead", limits.max_lead_days),
        )
        .with_field(["start"]));
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
            if end - p.start > Duration::days(limits.max_hire_days) {
                return Err(ApiError::unprocessable(
                    ErrorCode::HireTooLong,
                    format!("A hire lasts at most {} days", limits.max_hire_days),
                )
                .with_field(["end"]));
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
            if !(1..=MAX_LEASE_MONTHS).contains(&months) {
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
#[derive(Debug, Clone, Copy, Default)]
pub struct Prices {
    pub per_hour_pence: Option<Pence>,
    pub per_day_pence: Option<Pence>,
    pub per_month_lease_pence: Option<Pence>,
}

impl From<&VehicleData> for Prices {
    fn from(v: &VehicleData) -> Self {
        Self {
            per_hour_pence: v.per_hour_pence,
            per_day_pence: v.per_day_pence,
            per_month_lease_pence: v.per_month_lease_pence,
        }
    }
}

/// The price of a period: (whole, first payment). A hire is
/// `min(perHour × ceil(hours), perDay × ceil(days))` over the prices the
/// vehicle has; a lease `perMonth × months`, the first payment one month.
/// None when the vehicle lacks the price the kind needs.
pub fn price(prices: &Prices, period: &Period) -> Option<(Pence, Pence)> {
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

/// The cancellation policy, the one the gateway shows too.
pub use roundabout_api::refund::refund_due;

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
            per_hour_pence: Some(Pence(1000)),
            per_day_pence: Some(Pence(3000)),
            per_month_lease_pence: None,
        };
        let now = at(0);
        let p = check_period(&hire(at(10), at(14)), now, &Limits::default()).unwrap();
        assert_eq!(price(&prices, &p), Some((Pence(3000), Pence(3000))));
        let p = check_period(&hire(at(10), at(12)), now, &Limits::default()).unwrap();
        assert_eq!(price(&prices, &p), Some((Pence(2000), Pence(2000))));
        let p = check_period(&hire(at(10), at(10) + Duration::minutes(61)), now, &Limits::default()).unwrap();
        assert_eq!(price(&prices, &p), Some((Pence(2000), Pence(2000))));
        let only_day = Prices {
            per_day_pence: Some(Pence(3000)),
            ..Prices::default()
        };
        let p = check_period(&hire(at(10), at(10) + Duration::hours(25)), now, &Limits::default()).unwrap();
        assert_eq!(price(&only_day, &p), Some((Pence(6000), Pence(6000))));
        assert_eq!(price(&Prices::default(), &p), None);
    }

    #[test]
    fn lease_is_monthly() {
        let prices = Prices {
            per_month_lease_pence: Some(Pence(30_000)),
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
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(price(&prices, &p), Some((Pence(360_000), Pence(30_000))));
        assert_eq!(p.end, Utc.with_ymd_and_hms(2031, 1, 5, 10, 0, 0).unwrap());
    }

    #[test]
    fn bad_periods_are_refused() {
        let now = at(9);
        let refusal = |p: PeriodIn| {
            let e = check_period(&p, now, &Limits::default()).unwrap_err();
            (e.body.code.to_string(), e.body.field.unwrap()[0].clone())
        };
        let code = |p: PeriodIn| refusal(p).1;
        assert_eq!(code(hire(at(8), at(10))), "start");
        assert_eq!(code(hire(at(12), at(11))), "end");
        assert_eq!(code(hire(at(12), at(12))), "end");
        assert_eq!(
            refusal(hire(at(12), at(12) + Duration::days(100))),
            ("HIRE_TOO_LONG".to_string(), "end".to_string())
        );
        let far = at(12) + Duration::days(366);
        assert_eq!(
            refusal(hire(far, far + Duration::hours(2))),
            ("LEAD_TIME_TOO_LONG".to_string(), "start".to_string())
        );
        let year_9999 = Utc.with_ymd_and_hms(9999, 12, 31, 10, 0, 0).unwrap();
        assert_eq!(
            refusal(hire(year_9999, year_9999 + Duration::hours(2))).0,
            "LEAD_TIME_TOO_LONG"
        );
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
    fn the_bounds_follow_the_configuration() {
        let now = at(9);
        let wide = Limits {
            max_lead_days: 800,
            max_hire_days: 30,
            ..Limits::default()
        };
        let start = now + Duration::days(700);
        assert!(check_period(&hire(start, start + Duration::days(30)), now, &wide).is_ok());
        assert!(check_period(&hire(start, start + Duration::days(31)), now, &wide).is_err());
        let lease = PeriodIn {
            kind: "LEASE".into(),
            start: now + Duration::days(400),
            end: None,
            lease_months: Some(12),
        };
        assert_eq!(
            check_period(&lease, now, &Limits::default()).unwrap_err().code(),
            "LEAD_TIME_TOO_LONG"
        );
    }

    #[test]
    fn a_household_is_refused_at_its_limits() {
        let l = Limits::default();
        let load = |unpaid, overlapping_hires| HouseholdLoad {
            unpaid,
            overlapping_hires,
        };
        assert!(l.check_household(load(1, 0), true).is_ok());
        assert_eq!(
            l.check_household(load(2, 0), true).unwrap_err().code(),
            "TOO_MANY_UNPAID_BOOKINGS"
        );
        assert_eq!(
            l.check_household(load(0, 1), true).unwrap_err().code(),
            "OVERLAPPING_BOOKING"
        );
        // A lease may overlap a hire.
        assert!(l.check_household(load(0, 1), false).is_ok());
        // The overlap is named first: it is what the household can change.
        assert_eq!(
            l.check_household(load(5, 1), true).unwrap_err().code(),
            "OVERLAPPING_BOOKING"
        );
    }
}
