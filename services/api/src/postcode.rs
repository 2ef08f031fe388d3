//! UK postcodes: the one rule for what has a postcode's shape, used by the
//! eligibility service (lookups and imports, stored without spaces) and by
//! the web (households' answers, written with the space).

/// The longest text looked at as a postcode (a postcode has at most 8
/// characters with its space; room is left for stray spaces).
pub const MAX_POSTCODE_CHARS: usize = 16;

/// A postcode or district written the stored way (upper case, no spaces),
/// if it has a postcode's shape: an outward code of 2 to 4 characters (one
/// or two letters, a digit, then maybe a letter or digit), followed, for a
/// full postcode, by an inward code of a digit and two letters.
pub fn normalise(raw: &str) -> Option<String> {
    if raw.chars().count() > MAX_POSTCODE_CHARS {
        return None;
    }
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // Only ASCII letters and digits from here on, so every byte is a
    // character and no slice below can split one.
    if !(2..=7).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    (is_full(&s) || outward_ok(s.as_bytes())).then_some(s)
}

/// A full postcode as people write it, `OX28 4AB`: upper case, one space
/// before the inward code; `None` for a district alone or anything without
/// a postcode's shape.
pub fn written(raw: &str) -> Option<String> {
    let s = normalise(raw)?;
    let (outward, inward) = s.split_at_checked(s.len().checked_sub(3)?)?;
    is_full(&s).then(|| format!("{outward} {inward}"))
}

/// The district (outward code) of a full, normalised postcode.
pub fn district(postcode: &str) -> Option<&str> {
    let cut = postcode.len().checked_sub(3).filter(|n| *n >= 2)?;
    postcode.get(..cut)
}

/// Whether a normalised code is a full postcode (not a district).
fn is_full(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len().checked_sub(3).map(|i| b.split_at(i)) {
        Some((outward, [digit, l1, l2])) => {
            digit.is_ascii_digit() && l1.is_ascii_uppercase() && l2.is_ascii_uppercase() && outward_ok(outward)
        }
        _ => false,
    }
}

/// An outward code: 2 to 4 characters, one or two letters, a digit, then
/// at most one letter or digit.
fn outward_ok(b: &[u8]) -> bool {
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = b.get(letters..).unwrap_or_default();
    (2..=4).contains(&b.len())
        && (1..=2).contains(&letters)
        && rest.first().is_some_and(u8::is_ascii_digit)
        && rest.len() <= 2
        && rest.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_and_districts_are_recognised() {
        assert_eq!(normalise("ox28 4ab").as_deref(), Some("OX284AB"));
        assert_eq!(normalise("OX7").as_deref(), Some("OX7"));
        assert_eq!(normalise("SW1A 1AA").as_deref(), Some("SW1A1AA"));
        assert_eq!(normalise("12"), None);
        assert_eq!(normalise("nope"), None);
        assert_eq!(normalise("W1A").as_deref(), Some("W1A"));
        assert_eq!(normalise("EC1A 1BB").as_deref(), Some("EC1A1BB"));
        assert_eq!(normalise("OX28 4A!"), None);
        assert_eq!(district("OX284AB"), Some("OX28"));
        assert_eq!(district("OX28"), None);
    }

    #[test]
    fn short_and_odd_text_is_not_a_postcode_and_does_not_panic() {
        for raw in [
            "",
            "O",
            "OX",
            "ox",
            "1A",
            "1",
            "OX4A4",
            "ÀÀÀ1AA",
            "OX28 4À",
            "ß1",
            "OX28\u{0}4AB",
            "OXOXOX",
            "OX284ABC",
        ] {
            assert_eq!(normalise(raw), None, "{raw:?}");
            assert_eq!(written(raw), None, "{raw:?}");
        }
        assert_eq!(normalise("O1").as_deref(), Some("O1"));
        assert_eq!(normalise("x1").as_deref(), Some("X1"));
        assert_eq!(normalise(&"OX28 4AB".repeat(10)), None);
    }

    #[test]
    fn full_postcodes_are_written_with_the_space() {
        assert_eq!(written("ox28 4ab").as_deref(), Some("OX28 4AB"));
        assert_eq!(written("OX74AA").as_deref(), Some("OX7 4AA"));
        assert_eq!(written("SW1A 1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(written(" ec1a  1bb ").as_deref(), Some("EC1A 1BB"));
        // A district is not a full postcode.
        assert_eq!(written("OX28"), None);
        assert_eq!(written("12345"), None);
    }

    /// The web once accepted these (any letter first, a digit and two
    /// letters last) while the eligibility service refused them: an
    /// outward code has one or two letters, then a digit.
    #[test]
    fn outward_codes_with_three_letters_or_three_digits_are_refused() {
        for raw in ["AAA1 1AA", "AAA11AA", "A11A 1AA", "A111 1AA", "ABC 1AA"] {
            assert_eq!(normalise(raw), None, "{raw:?}");
            assert_eq!(written(raw), None, "{raw:?}");
        }
    }
}
