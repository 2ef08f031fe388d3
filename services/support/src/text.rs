//! Free text from outside — names, descriptions, search terms, keys, CSV
//! cells — checked before anything stores or compares it.
//!
//! A field of one line refuses every control character (`char::is_control`:
//! U+0000–U+001F and U+007F–U+009F, so NUL, tab and line breaks), the line
//! and paragraph separators U+2028 and U+2029, and the invisible
//! text-direction controls U+202A–U+202E and U+2066–U+2069 (they make a
//! name read differently from what it is, e.g. in an officer's list). A
//! field of several lines allows line feed, carriage return and tab as
//! well. PostgreSQL cannot store NUL in text at all; refusing it here turns
//! what would be a database error into an `INVALID_INPUT` naming the field.

use crate::ApiError;

/// Whether `c` may not appear in text; `breaks` allows `\n`, `\r` and `\t`.
pub fn is_forbidden(c: char, breaks: bool) -> bool {
    if breaks && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character of `value` that may not appear in it.
pub fn first_forbidden(value: &str, breaks: bool) -> Option<char> {
    value.chars().find(|c| is_forbidden(*c, breaks))
}

/// A forbidden character in words, e.g. "a null character (U+0000)".
pub fn describe(c: char) -> String {
    let what = match c {
        '\0' => "a null character",
        '\t' => "a tab",
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => "a line break",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "an invisible text-direction character",
        _ => "an invisible control character",
    };
    format!("{what} (U+{:04X})", u32::from(c))
}

/// Refuses `value` if it holds a forbidden character; `what` names the
/// field in the sentence ("The zone name").
pub fn check_chars(field: &str, what: &str, value: &str, breaks: bool) -> Result<(), ApiError> {
    match first_forbidden(value, breaks) {
        Some(c) => Err(ApiError::invalid(
            field,
            format!("{what} must not contain {}", describe(c)),
        )),
        None => Ok(()),
    }
}

/// One line of text: trimmed, 1 to `max_chars` characters, no control or
/// text-direction characters. Refusals are `INVALID_INPUT` on `field`, the
/// sentence starting with `what` ("The zone name must be …").
pub fn single_line(field: &str, what: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let t = value.trim();
    // A byte bound first, so a huge value is not walked twice.
    if t.is_empty() || t.len() > max_chars.saturating_mul(4) || t.chars().count() > max_chars {
        return Err(ApiError::invalid(
            field,
            format!("{what} must be 1 to {max_chars} characters"),
        ));
    }
    check_chars(field, what, t, false)?;
    Ok(t.to_string())
}

/// Text of several lines (a description): trimmed, at most `max_chars`
/// characters, possibly empty; line breaks and tabs allowed, other control
/// and text-direction characters not.
pub fn multi_line(field: &str, what: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let t = value.trim();
    if t.len() > max_chars.saturating_mul(4) || t.chars().count() > max_chars {
        return Err(ApiError::invalid(
            field,
            format!("{what} must be at most {max_chars} characters"),
        ));
    }
    check_chars(field, what, t, true)?;
    Ok(t.to_string())
}

/// A value compared exactly as given (an idempotency key): not trimmed,
/// 1 to `max_chars` characters, one line.
pub fn exact<'a>(field: &str, what: &str, value: &'a str, max_chars: usize) -> Result<&'a str, ApiError> {
    if value.is_empty() || value.len() > max_chars.saturating_mul(4) || value.chars().count() > max_chars {
        return Err(ApiError::invalid(
            field,
            format!("{what} must be 1 to {max_chars} characters"),
        ));
    }
    check_chars(field, what, value, false)?;
    Ok(value)
}

/// A phone number for the public: 7 to 20 digits, with spaces, `+`, `(`,
/// `)` or `-` between them, at most 40 characters.
pub fn phone(field: &str, raw: &str) -> Result<String, ApiError> {
    let p = single_line(field, "The phone number", raw, 40)?;
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let allowed = p
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'));
    if allowed && (7..=20).contains(&digits) {
        Ok(p)
    } else {
        Err(ApiError::invalid(
            field,
            "Enter a phone number, like 01993 123456 or +44 1993 123456",
        ))
    }
}

/// An email address for the public: one `@`, something before it, a dot
/// inside the part after it, no spaces, at most 254 characters.
pub fn email(field: &str, raw: &str) -> Result<String, ApiError> {
    let e = single_line(field, "The email address", raw, 254)?;
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(e)
    } else {
        Err(ApiError::invalid(
            field,
            "Enter an email address in the correct format, like bookings@example.org",
        ))
    }
}

/// An optional field as given: trimmed, and `None` when absent or empty
/// (an empty field clears what was stored).
pub fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// How households reach an organisation (a council's or a provider's
/// [`ContactIn`](roundabout_api::ContactIn)), checked: each part trimmed and
/// empty read as absent; the phone number ([`phone`]), then the email
/// address ([`email`]), each refused under its own field.
pub fn contact(phone: Option<&str>, email: Option<&str>) -> Result<(Option<String>, Option<String>), ApiError> {
    let phone = present(phone).map(|p| self::phone("phone", p)).transpose()?;
    let email = present(email).map(|e| self::email("email", e)).transpose()?;
    Ok((phone, email))
}

#[cfg(test)]
mod tests {
    #[test]
    fn phone_numbers_and_email_addresses_are_checked() {
        assert_eq!(super::phone("phone", " 01993 123456 ").unwrap(), "01993 123456");
        assert_eq!(
            super::phone("phone", "+44 (0)1993 123-456").unwrap(),
            "+44 (0)1993 123-456"
        );
        for bad in ["123", "call us", "0199\u{202E}3 123456", &"1".repeat(41)] {
            assert!(super::phone("phone", bad).is_err(), "{bad}");
        }
        assert_eq!(super::email("email", "hire@example.org").unwrap(), "hire@example.org");
        for bad in [
            "hire",
            "hire@",
            "@x.org",
            "a@b@c.org",
            "a b@c.org",
            "a@org",
            "a@.org",
            "a@org.",
        ] {
            assert!(super::email("email", bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn a_contact_is_checked_phone_first_and_empty_is_absent() {
        assert_eq!(contact(Some("  "), None).unwrap(), (None, None));
        assert_eq!(
            contact(Some(" 01993 123456 "), Some("hire@cotswold.example")).unwrap(),
            (Some("01993 123456".into()), Some("hire@cotswold.example".into()))
        );
        let both_bad = contact(Some("call us"), Some("nope")).unwrap_err();
        assert_eq!(both_bad.body.field, Some(vec!["phone".to_string()]));
        let e = contact(None, Some("nope")).unwrap_err();
        assert_eq!(e.body.field, Some(vec!["email".to_string()]));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(single_line("name", "The name", "  Witney  ", 10).unwrap(), "Witney");
        for bad in ["", "   ", "elevenchars"] {
            let e = single_line("name", "The name", bad, 10).unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT");
            assert_eq!(e.body.field, Some(vec!["name".to_string()]));
            assert_eq!(e.body.message, "The name must be 1 to 10 characters");
        }
        // Characters, not bytes.
        assert!(single_line("name", "The name", "ÉÉÉÉÉÉÉÉÉÉ", 10).is_ok());
    }

    #[test]
    fn control_and_direction_characters_are_refused_in_a_line() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{202E}', '\u{2066}',
        ] {
            let v = format!("Wit{c}ney");
            let e = single_line("name", "The zone name", &v, 200).unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT", "{c:?}");
            assert!(
                e.body.message.starts_with("The zone name must not contain"),
                "{}",
                e.body.message
            );
        }
        let e = single_line("name", "The zone name", "a\0b", 200).unwrap_err();
        assert_eq!(
            e.body.message,
            "The zone name must not contain a null character (U+0000)"
        );
    }

    #[test]
    fn several_lines_allow_breaks_and_tabs_but_not_nul() {
        assert_eq!(
            multi_line("description", "The description", " a\r\n\tb ", 100).unwrap(),
            "a\r\n\tb"
        );
        assert_eq!(multi_line("description", "The description", "", 100).unwrap(), "");
        assert!(multi_line("description", "The description", "a\0b", 100).is_err());
        assert!(multi_line("description", "The description", "a\u{202E}b", 100).is_err());
        assert!(multi_line("description", "The description", &"x".repeat(101), 100).is_err());
    }

    #[test]
    fn exact_values_keep_their_spaces() {
        assert_eq!(exact("key", "The key", " k ", 10).unwrap(), " k ");
        assert!(exact("key", "The key", "", 10).is_err());
        assert!(exact("key", "The key", "k\0", 10).is_err());
    }

    #[test]
    fn printable_text_of_any_script_is_allowed() {
        for ok in ["Ysgol Gymraeg", "Zoë", "Łódź", "北京", "مرحبا", "🚗 car club"] {
            assert_eq!(first_forbidden(ok, false), None, "{ok}");
        }
    }
}
