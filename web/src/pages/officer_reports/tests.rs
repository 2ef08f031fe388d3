use super::*;

fn form(pairs: &[(&str, &str)]) -> FormData {
    FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn no_dates_mean_the_last_30_days() {
    let p = Period::parse(&form(&[]), d(2026, 11, 30)).unwrap();
    assert_eq!(
        p,
        Period {
            from: d(2026, 11, 1),
            to: d(2026, 11, 30)
        }
    );
    assert_eq!(p.words(), "1 to 30 November 2026");
    assert_eq!(
        p.query(),
        "from-day=1&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026"
    );
}

#[test]
fn dates_are_checked_with_gov_uk_messages() {
    let today = d(2026, 11, 30);
    let e = Period::parse(
        &form(&[
            ("from-day", "31"),
            ("from-month", "2"),
            ("from-year", "2026"),
            ("to-day", "1"),
        ]),
        today,
    )
    .unwrap_err();
    assert_eq!(
        e.get("from-day"),
        Some("The start date must be a real date, like 1 11 2026")
    );
    assert_eq!(e.get("to-day"), Some("The end date must include a month"));
    let e = Period::parse(
        &form(&[
            ("from-day", "10"),
            ("from-month", "11"),
            ("from-year", "2026"),
            ("to-day", "1"),
            ("to-month", "11"),
            ("to-year", "2026"),
        ]),
        today,
    )
    .unwrap_err();
    assert_eq!(
        e.get("to-day"),
        Some("The end date must be the same as or after the start date")
    );
    let e = Period::parse(
        &form(&[
            ("from-day", "1"),
            ("from-month", "12"),
            ("from-year", "2026"),
            ("to-day", "2"),
            ("to-month", "12"),
            ("to-year", "26"),
        ]),
        today,
    )
    .unwrap_err();
    assert_eq!(e.get("from-day"), Some("The start date must be today or in the past"));
    assert_eq!(
        e.get("to-day"),
        Some("The end date must be a real date, like 1 11 2026")
    );
}

#[test]
fn the_period_is_uk_days() {
    let p = Period {
        from: d(2026, 7, 1),
        to: d(2026, 7, 31),
    };
    let (from, to) = p.instants();
    assert_eq!(from.to_rfc3339(), "2026-06-30T23:00:00+00:00");
    assert_eq!(to.to_rfc3339(), "2026-07-31T23:00:00+00:00");
    assert_eq!(
        Period {
            from: d(2025, 12, 31),
            to: d(2026, 1, 2)
        }
        .words(),
        "31 December 2025 to 2 January 2026"
    );
}

#[test]
fn csv_fields_are_quoted_and_never_formulas() {
    assert_eq!(field("Witney"), "Witney");
    assert_eq!(field("Witney, north"), "\"Witney, north\"");
    assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(money(123450), "1234.50");
    assert_eq!(money(5), "0.05");
}
