//! What every page shares: the layout's data, money, dates and times in
//! the way GOV.UK writes them (UK time).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

use crate::session::Session;

/// The layout's data: title, who is signed in, the navigation, the CSRF token.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub title: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub csrf: String,
    /// The navigation item this page belongs to (its path).
    pub section: &'static str,
    /// A one-time message (a notification banner).
    pub flash: Option<String>,
    /// True when the page has a form error: the title starts with "Error: ".
    pub has_errors: bool,
    /// When an officer acts for a household: its name, for the banner.
    pub acting_for: Option<String>,
    /// Where the household's pages are: empty for the household itself,
    /// `/officer/households/{id}` when an officer acts for it.
    pub base: String,
}

/// A navigation item.
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
}

impl Layout {
    pub fn new(session: &Session, title: impl Into<String>, section: &'static str) -> Self {
        Self {
            title: title.into(),
            role: session.data.role.clone(),
            email: session.data.email.clone(),
            csrf: session.csrf.clone(),
            section,
            flash: session.data.flash.clone(),
            has_errors: false,
            acting_for: None,
            base: String::new(),
        }
    }

    /// For pages rendered without a session (errors).
    pub fn plain(title: &str) -> Self {
        Self {
            title: title.to_string(),
            ..Self::default()
        }
    }

    /// The content-named URL of an asset (`app.css`), see [`crate::assets`].
    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

    pub fn with_errors(mut self, errors: &crate::form::Errors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }

    pub fn nav(&self) -> Vec<NavItem> {
        let items: &[(&str, &str)] = match self.role.as_deref() {
            Some("HOUSEHOLD") => &[
                ("/profile", "Your household"),
                ("/schemes", "What you can get"),
                ("/find-a-vehicle", "Find a vehicle"),
                ("/bookings", "Your bookings"),
            ],
            Some("PROVIDER") => &[
                ("/provider", "Councils"),
                ("/provider/fleet", "Fleet"),
                ("/provider/bookings", "Bookings"),
                ("/provider/payouts", "Payouts"),
                ("/provider/contact", "Contact details"),
            ],
            Some("OFFICER") => &[
                ("/officer", "Council"),
                ("/officer/households", "Households"),
                ("/officer/providers", "Providers"),
                ("/officer/schemes", "Schemes"),
                ("/officer/zones", "Zones"),
                ("/officer/postcodes", "Postcodes"),
                ("/officer/reports", "Reports"),
            ],
            Some("ADMIN") => &[("/admin", "Councils")],
            _ => &[],
        };
        items.iter().map(|&(href, text)| NavItem { href, text }).collect()
    }

    pub fn is_current(&self, href: &str) -> bool {
        self.section == href
    }
}

/// `£12.30`, or `£12` for whole pounds.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    let whole = group_thousands(p / 100);
    if p % 100 == 0 {
        format!("{sign}£{whole}")
    } else {
        format!("{sign}£{whole}.{:02}", p % 100)
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The last Sunday of `month` in `year`, at 01:00 UTC (when UK clocks change).
fn change_over(year: i32, month: u32) -> DateTime<Utc> {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("March and October exist") - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("01:00 exists"))
}

/// The UK's offset from UTC at `t`: one hour in British Summer Time.
pub fn uk_offset(t: DateTime<Utc>) -> Duration {
    let y = t.year();
    if t >= change_over(y, 3) && t < change_over(y, 10) {
        Duration::hours(1)
    } else {
        Duration::zero()
    }
}

/// A UK wall-clock time as UTC (in the hour that repeats, the first one).
pub fn from_uk(local: NaiveDateTime) -> DateTime<Utc> {
    let as_utc = Utc.from_utc_datetime(&local);
    let guess = as_utc - uk_offset(as_utc - Duration::hours(1));
    // Near a change the guess's own offset decides.
    as_utc - uk_offset(guess)
}

pub fn to_uk(t: DateTime<Utc>) -> NaiveDateTime {
    (t + uk_offset(t)).naive_utc()
}

/// "Saturday 28 November 2026 at 10am" in UK time.
pub fn when(t: DateTime<Utc>) -> String {
    let l = to_uk(t);
    format!("{} at {}", l.format("%A %-d %B %Y"), clock(l))
}

/// "28 November 2026".
pub fn day(t: DateTime<Utc>) -> String {
    to_uk(t).format("%-d %B %Y").to_string()
}

/// "10am", "2:30pm", "midday", "midnight" (GOV.UK style).
pub fn clock(l: NaiveDateTime) -> String {
    use chrono::Timelike;
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

/// "1 hour", "3 hours".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_on_gov_uk() {
        assert_eq!(pounds(1230), "£12.30");
        assert_eq!(pounds(12000), "£120");
        assert_eq!(pounds(20_000_000), "£200,000");
        assert_eq!(pounds(5), "£0.05");
    }

    #[test]
    fn uk_time_follows_british_summer_time() {
        let summer = NaiveDate::from_ymd_opt(2026, 7, 4)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(from_uk(summer), Utc.with_ymd_and_hms(2026, 7, 4, 9, 0, 0).unwrap());
        let winter = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        assert_eq!(from_uk(winter), Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap());
        // 2026's clocks go forward on 29 March and back on 25 October.
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 0).unwrap()),
            Duration::zero()
        );
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()),
            Duration::hours(1)
        );
        assert_eq!(
            uk_offset(Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap()),
            Duration::zero()
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()),
            "Saturday 28 November 2026 at 10am"
        );
        assert_eq!(
            when(Utc.with_ymd_and_hms(2026, 7, 4, 13, 30, 0).unwrap()),
            "Saturday 4 July 2026 at 2:30pm"
        );
    }
}
