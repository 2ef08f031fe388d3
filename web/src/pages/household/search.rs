//! What a household searches for: a hire (day, start time, hours) or a
//! lease (start month, months), with its needs and distance, checked into a
//! [`Search`] the offers query is built from.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::{json, Value};

use crate::{
    form::{Errors, FormData},
    pages::vocabulary,
    views,
};

/// Offers asked of the API for one search (its most): grouped, filtered and
/// shown a few at a time by [`super::results`].
const OFFERS_ASKED: i64 = 100;

/// What the household searched for, checked.
#[derive(Clone, Debug)]
pub struct Search {
    pub kind: &'static str,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub lease_months: Option<i64>,
    pub seats: Option<i64>,
    pub wheelchair: bool,
    pub electric: bool,
    pub radius_km: f64,
}

impl Search {
    /// Checks a hire (`kind` = HIRE: day, month, year, time, hours) or lease
    /// (month, year, months) search; the messages name the fields.
    pub fn parse(kind: &'static str, f: &FormData, now: DateTime<Utc>) -> Result<Search, Errors> {
        let mut errors = Errors::default();
        let int = |name: &str| f.get(name).parse::<i64>().ok();
        let (start, end, lease_months) = if kind == "HIRE" {
            let date = match (int("day"), int("month"), int("year")) {
                _ if f.get("day").is_empty() && f.get("month").is_empty() && f.get("year").is_empty() => {
                    errors.add("day", "Enter the date you need the vehicle");
                    None
                }
                (Some(d), Some(m), Some(y)) => ymd(y, m, d).or_else(|| {
                    errors.add("day", "The date must be a real date");
                    None
                }),
                _ => {
                    errors.add("day", "The date must be a real date, like 28 11 2026");
                    None
                }
            };
            let time = NaiveTime::parse_from_str(f.get("time"), "%H:%M").ok();
            if time.is_none() {
                errors.add("time", "Select a start time");
            }
            let hours = match int("hours") {
                Some(h) if (1..=336).contains(&h) => Some(h),
                _ if f.get("hours").is_empty() => {
                    errors.add("hours", "Enter how many hours you need the vehicle for");
                    None
                }
                _ => {
                    errors.add("hours", "Hours must be a whole number from 1 to 336 (14 days)");
                    None
                }
            };
            let start = date.zip(time).map(|(d, t)| views::from_uk(d.and_time(t)));
            if start.is_some_and(|s| s <= now) {
                errors.add("day", "The start must be in the future");
            }
            (start, start.zip(hours).map(|(s, h)| s + Duration::hours(h)), None)
        } else {
            let month = match (int("month"), int("year")) {
                _ if f.get("month").is_empty() && f.get("year").is_empty() => {
                    errors.add("month", "Enter the month the lease starts");
                    None
                }
                (Some(m), Some(y)) => ymd(y, m, 1).or_else(|| {
                    errors.add("month", "The start must be a real month, like 1 2027");
                    None
                }),
                _ => {
                    errors.add("month", "The start must be a real month, like 1 2027");
                    None
                }
            };
            let start = month.map(|d| views::from_uk(d.and_hms_opt(9, 0, 0).expect("9am exists")));
            if start.is_some_and(|s| s <= now) {
                errors.add("month", "The lease must start next month or later");
            }
            let months = match int("months") {
                Some(m) if (1..=36).contains(&m) => Some(m),
                _ if f.get("months").is_empty() => {
                    errors.add("months", "Enter how many months you want the lease for");
                    None
                }
                _ => {
                    errors.add("months", "A lease is a whole number of months from 1 to 36");
                    None
                }
            };
            (start, None, months)
        };
        let seats = match f.get("seats") {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(n) if (1..=16).contains(&n) => Some(n),
                _ => {
                    errors.add("seats", "Seats must be a whole number from 1 to 16");
                    None
                }
            },
        };
        let radius_km = match f.get("radius") {
            "" => 5.0,
            raw => match raw.parse::<f64>() {
                Ok(r) if (1.0..=100.0).contains(&r) => r,
                _ => {
                    errors.add("radius", "Select how far you can travel to the vehicle");
                    5.0
                }
            },
        };
        match (errors.is_empty(), start) {
            (true, Some(start)) => Ok(Search {
                kind,
                start,
                end,
                lease_months,
                seats,
                wheelchair: f.has("wheelchair", "yes"),
                electric: f.has("electric", "yes"),
                radius_km,
            }),
            _ => Err(errors),
        }
    }

    pub fn offers_input(&self) -> Value {
        json!({"kind": self.kind, "start": self.start, "end": self.end, "leaseMonths": self.lease_months,
               "radiusKm": self.radius_km, "seats": self.seats,
               "wheelchairAccessible": self.wheelchair.then_some(true), "electricOnly": self.electric.then_some(true),
               "first": OFFERS_ASKED})
    }

    /// "Saturday 28 November 2026 at 10am to 2pm" or "12 months from 1 January 2027".
    pub fn period(&self) -> String {
        match (self.end, self.lease_months) {
            (Some(end), _) => {
                let same_day = views::to_uk(end).date() == views::to_uk(self.start).date();
                if same_day {
                    format!(
                        "{} to {}",
                        vocabulary::when(self.start),
                        vocabulary::clock(views::to_uk(end))
                    )
                } else {
                    format!("{} to {}", vocabulary::when(self.start), vocabulary::when(end))
                }
            }
            (None, Some(m)) => format!(
                "{} from {}",
                vocabulary::plural(m, "month", "months"),
                vocabulary::day(self.start)
            ),
            _ => vocabulary::when(self.start),
        }
    }
}

/// The date of year, month and day as typed, none when any is out of range
/// (never wrapped: 4,294,969,322 is not 2026).
fn ymd(year: i64, month: i64, day: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_beyond_i32_is_not_a_date() {
        assert_eq!(ymd(4_294_969_322, 12, 1), None);
        assert_eq!(ymd(2026, 12, 1), NaiveDate::from_ymd_opt(2026, 12, 1));
    }
    use chrono::Datelike;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_hire_is_read_in_uk_time() {
        let now = Utc::now();
        let year = (now.year() + 1).to_string();
        let f = form(&[
            ("day", "4"),
            ("month", "7"),
            ("year", &year),
            ("time", "10:00"),
            ("hours", "4"),
        ]);
        let s = Search::parse("HIRE", &f, now).unwrap();
        assert_eq!(s.start.format("%H:%M").to_string(), "09:00");
        assert_eq!(s.end.unwrap() - s.start, Duration::hours(4));
        assert_eq!(s.radius_km, 5.0);
    }

    #[test]
    fn a_bad_hire_names_each_field() {
        let f = form(&[("day", "31"), ("month", "2"), ("year", "2030"), ("hours", "400")]);
        let e = Search::parse("HIRE", &f, Utc::now()).unwrap_err();
        assert_eq!(e.get("day"), Some("The date must be a real date"));
        assert_eq!(e.get("time"), Some("Select a start time"));
        assert!(e.get("hours").is_some());
    }

    #[test]
    fn a_lease_starts_next_month_or_later() {
        let now = Utc::now();
        let f = form(&[
            ("month", &now.month().to_string()),
            ("year", &now.year().to_string()),
            ("months", "12"),
        ]);
        let e = Search::parse("LEASE", &f, now).unwrap_err();
        assert_eq!(e.get("month"), Some("The lease must start next month or later"));
    }
}
