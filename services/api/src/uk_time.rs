//! Times as people in the UK read them, written one way everywhere: the web
//! front end's pages and the gateway's messages. UK local time (GMT or
//! British Summer Time), "10am", "2:30pm", "midday", "midnight" (GOV.UK
//! style), "Saturday 28 November 2026 at 10am".

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use chrono_tz::Europe::London;

/// The UK's wall-clock time of an instant.
pub fn to_uk(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&London).naive_local()
}

/// "10am", "2:30pm", "midday", "midnight".
pub fn clock(l: NaiveDateTime) -> String {
    let (h, m) = (l.hour(), l.minute());
    match (h, m) {
        (0, 0) => "midnight".into(),
        (12, 0) => "midday".into(),
        _ => {
            let suffix = if h < 12 { "am" } else { "pm" };
            let h12 = if h % 12 == 0 { 12 } else { h % 12 };
            if m == 0 {
                format!("{h12}{suffix}")
            } else {
                format!("{h12}:{m:02}{suffix}")
            }
        }
    }
}

/// "Saturday 28 November 2026 at 10am", UK time.
pub fn when(t: DateTime<Utc>) -> String {
    let l = to_uk(t);
    format!("{} at {}", l.format("%A %-d %B %Y"), clock(l))
}

/// "28 November 2026", UK time.
pub fn day(t: DateTime<Utc>) -> String {
    to_uk(t).format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_read_as_in_the_uk() {
        // 28 November: GMT. 1 July: BST, an hour ahead of UTC.
        let winter = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        assert_eq!(when(winter), "Saturday 28 November 2026 at 10am");
        assert_eq!(day(winter), "28 November 2026");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 13, 30, 0).unwrap();
        assert_eq!(when(summer), "Wednesday 1 July 2026 at 2:30pm");
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 7, 1, 11, 0, 0).unwrap()),
            "Wednesday 1 July 2026 at midday"
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
            "Tuesday 1 December 2026 at midnight"
        );
    }
}
