//! A booking as an RFC 5545 calendar entry (`booking-<ref>.ics`), attached
//! to the confirmation email so the person can add it to their calendar.
//!
//! The text follows RFC 5545 to the letter because calendar programs are
//! strict: CRLF line endings, content lines folded at 75 octets (never inside
//! a UTF-8 character), `\`, `;`, `,` and newlines escaped in TEXT values,
//! and every time in UTC (`…Z`), so no time-zone definition is needed.

use chrono::{DateTime, Utc};

use crate::Attachment;

/// The content type of the attachment: `METHOD:PUBLISH` says the entry is
/// for information, not an invitation that expects a reply.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// RFC 5545 §3.1: a content line is at most 75 octets, not counting CRLF.
pub const MAX_LINE_OCTETS: usize = 75;

/// Who arranged the booking (the council), shown as the organiser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organiser {
    pub name: Option<String>,
    pub email: String,
}

/// One booking as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingEvent {
    /// The booking reference (`RB-1234`): names the file.
    pub reference: String,
    /// Globally unique and the same for every copy of this booking's
    /// entry, so calendars update rather than duplicate it
    /// (`<booking id>@roundabout`).
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub organiser: Option<Organiser>,
}

/// The booking's calendar entry as an attachment, stamped now.
pub fn booking_attachment(event: &BookingEvent) -> Attachment {
    booking_attachment_at(event, Utc::now())
}

/// The booking's calendar entry with `DTSTAMP` set to `stamp`.
pub fn booking_attachment_at(event: &BookingEvent, stamp: DateTime<Utc>) -> Attachment {
    Attachment {
        filename: format!("booking-{}.ics", filename_part(&event.reference)),
        content_type: CONTENT_TYPE.to_string(),
        content: calendar_text(event, stamp).into_bytes(),
    }
}

/// The whole `VCALENDAR` text, CRLF-terminated and folded.
pub fn calendar_text(event: &BookingEvent, stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |content: String| {
        out.push_str(&fold(&content));
        out.push_str("\r\n");
    };
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Roundabout//Bookings//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line("BEGIN:VEVENT".into());
    line(format!("UID:{}", escape_text(&event.uid)));
    line(format!("DTSTAMP:{}", utc_time(stamp)));
    line(format!("DTSTART:{}", utc_time(event.start)));
    line(format!("DTEND:{}", utc_time(event.end)));
    line(format!("SUMMARY:{}", escape_text(&event.summary)));
    line(format!("DESCRIPTION:{}", escape_text(&event.description)));
    line(format!("LOCATION:{}", escape_text(&event.location)));
    if let Some(org) = &event.organiser {
        let cn = org
            .name
            .as_deref()
            .map(|n| format!(";CN={}", param_value(n)))
            .unwrap_or_default();
        let email: String = org.email.chars().filter(|c| !c.is_control()).collect();
        line(format!("ORGANIZER{cn}:mailto:{email}"));
    }
    line("STATUS:CONFIRMED".into());
    line("TRANSP:OPAQUE".into());
    line("END:VEVENT".into());
    line("END:VCALENDAR".into());
    out
}

/// A UTC DATE-TIME (`20250314T093000Z`).
pub fn utc_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Parses a UTC DATE-TIME as written by [`utc_time`].
pub fn parse_utc_time(s: &str) -> Option<DateTime<Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(s.strip_suffix('Z')?, "%Y%m%dT%H%M%S").ok()?;
    Some(naive.and_utc())
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): `\` `;` `,` and newlines; other
/// control characters, which TEXT may not hold, are left out (tabs kept).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape_text`].
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Folds one content line (without its CRLF) into lines of at most 75
/// octets, each continuation starting with a space (RFC 5545 §3.1), never
/// splitting a UTF-8 character.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out
}

/// Joins folded lines back together (RFC 5545 §3.1 unfolding): a CRLF
/// followed by one space or tab is removed.
pub fn unfold(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The value of property `name` (no parameters) in an unfolded calendar
/// text, still escaped.
pub fn property<'a>(unfolded: &'a str, name: &str) -> Option<&'a str> {
    unfolded.split("\r\n").find_map(|l| {
        let (head, value) = l.split_once(':')?;
        (head == name).then_some(value)
    })
}

/// A parameter value (`CN=`): quoted, since names hold commas and colons;
/// quotes and control characters, which a quoted value may not hold, are
/// left out.
fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// A reference fit for a file name: letters, digits, `-` and `_` kept.
fn filename_part(reference: &str) -> String {
    let part: String = reference
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if part.is_empty() {
        "entry".to_string()
    } else {
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn event() -> BookingEvent {
        BookingEvent {
            reference: "RB-1234".into(),
            uid: "0b6f7c1e-3d0a-4c55-9a1e-6c1f0a3b2d11@roundabout".into(),
            summary: "Car club: Vauxhall Corsa-e, Witney".into(),
            description: "Collect from Market Square; bring your licence.\nReference RB-1234".into(),
            location: "Market Square, Witney OX28 6AG".into(),
            start: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2025, 3, 14, 17, 0, 0).unwrap(),
            organiser: Some(Organiser {
                name: Some("West Oxfordshire Council, Transport".into()),
                email: "noreply@westoxon.example".into(),
            }),
        }
    }

    /// What a TEXT value becomes after escaping and unescaping: newlines
    /// as `\n`, control characters other than tab left out.
    fn normalised(s: &str) -> String {
        s.replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
            .collect()
    }

    #[test]
    fn the_attachment_is_named_for_the_booking_and_typed_as_a_published_calendar() {
        let stamp = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let a = booking_attachment_at(&event(), stamp);
        assert_eq!(a.filename, "booking-RB-1234.ics");
        assert_eq!(a.content_type, "text/calendar; charset=utf-8; method=PUBLISH");
        let text = String::from_utf8(a.content).unwrap();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(text.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(text.contains("\r\nDTSTAMP:20250301T120000Z\r\n"));
        assert!(text.contains("\r\nDTSTART:20250314T093000Z\r\n"));
        assert!(text.contains("\r\nDTEND:20250314T170000Z\r\n"));
        assert!(text.contains("\r\nLOCATION:Market Square\\, Witney OX28 6AG\r\n"));
        assert!(unfold(&text)
            .contains("\r\nORGANIZER;CN=\"West Oxfordshire Council, Transport\":mailto:noreply@westoxon.example\r\n"));
        // No bare LF: every line ends CRLF.
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    }

    #[test]
    fn text_values_read_back_after_unfolding() {
        let e = event();
        let text = calendar_text(&e, Utc::now());
        let unfolded = unfold(&text);
        assert_eq!(unescape_text(property(&unfolded, "SUMMARY").unwrap()), e.summary);
        assert_eq!(
            unescape_text(property(&unfolded, "DESCRIPTION").unwrap()),
            e.description
        );
        assert_eq!(parse_utc_time(property(&unfolded, "DTSTART").unwrap()), Some(e.start));
        assert_eq!(parse_utc_time(property(&unfolded, "DTEND").unwrap()), Some(e.end));
    }

    #[test]
    fn escaping_covers_the_four_special_characters() {
        assert_eq!(escape_text("a,b;c\\d\ne\r\nf\rg"), "a\\,b\\;c\\\\d\\ne\\nf\\ng");
        assert_eq!(escape_text("bell\u{7}tab\t"), "belltab\t");
    }

    #[test]
    fn folding_splits_at_75_octets_and_never_inside_a_character() {
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        let folded = fold(&line);
        for l in folded.split("\r\n") {
            assert!(l.len() <= MAX_LINE_OCTETS, "{} octets", l.len());
        }
        // 12 ASCII octets then 31 two-octet characters fill 74; the next
        // would make 76, so the first line is 74 octets.
        assert_eq!(folded.split("\r\n").next().unwrap().len(), 74);
        assert_eq!(unfold(&folded), line);
        assert_eq!(fold("short"), "short");
    }

    #[test]
    fn odd_references_make_a_safe_file_name() {
        let mut e = event();
        e.reference = "../RB 9/\r\n".into();
        assert_eq!(booking_attachment_at(&e, Utc::now()).filename, "booking-RB9.ics");
        e.reference = String::new();
        assert_eq!(booking_attachment_at(&e, Utc::now()).filename, "booking-entry.ics");
    }

    proptest! {
        #[test]
        fn any_text_round_trips_through_escaping_and_folding(s in any::<String>()) {
            let line = format!("DESCRIPTION:{}", escape_text(&s));
            let folded = fold(&line);
            for l in folded.split("\r\n") {
                prop_assert!(l.len() <= MAX_LINE_OCTETS);
            }
            let back = unfold(&folded);
            prop_assert_eq!(&back, &line);
            prop_assert_eq!(unescape_text(&back["DESCRIPTION:".len()..]), normalised(&s));
        }

        #[test]
        fn no_calendar_line_exceeds_75_octets(
            summary in any::<String>(),
            description in "\\PC{0,400}",
            location in any::<String>(),
            name in any::<String>(),
        ) {
            let mut e = event();
            e.summary = summary.clone();
            e.description = description.clone();
            e.location = location;
            e.organiser = Some(Organiser { name: Some(name), email: "a@b.example".into() });
            let text = calendar_text(&e, Utc::now());
            prop_assert!(text.ends_with("\r\n"));
            for l in text.trim_end_matches("\r\n").split("\r\n") {
                prop_assert!(l.len() <= MAX_LINE_OCTETS);
                prop_assert!(!l.contains('\n') && !l.contains('\r'));
            }
            let unfolded = unfold(&text);
            prop_assert_eq!(unescape_text(property(&unfolded, "SUMMARY").unwrap()), normalised(&summary));
            prop_assert_eq!(unescape_text(property(&unfolded, "DESCRIPTION").unwrap()), normalised(&description));
        }
    }
}
