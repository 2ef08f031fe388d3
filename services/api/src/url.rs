//! Text inside a URL's path or query: one encoder for every link the web
//! writes and every internal call the gateway makes.

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters (RFC 3986: letters, digits,
/// `-`, `_`, `.`, `~`) and `/`, which is kept so a path reads as one.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// `s` percent-encoded (UTF-8) for a query value or path: `a b+c` →
/// `a%20b%2Bc`; `/bookings` stays as it is.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODED).to_string()
}

/// As [`ENCODED`], and `/` too.
const SEGMENT: &AsciiSet = &ENCODED.add(b'/');

/// `s` percent-encoded as one path segment: as [`encode`], and `/` too.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `s` with each `%XX` decoded once; a `%` not followed by two hex digits
/// is kept as it is.
pub fn decode_bytes(s: &[u8]) -> Vec<u8> {
    percent_decode(s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_encoded_and_paths_kept() {
        assert_eq!(encode("/bookings?after=x"), "/bookings%3Fafter%3Dx");
        assert_eq!(encode("a b+c&d=e"), "a%20b%2Bc%26d%3De");
        assert_eq!(encode("2026-03-29T01:30:00+00:00"), "2026-03-29T01%3A30%3A00%2B00%3A00");
        assert_eq!(encode("Abc-_.~09"), "Abc-_.~09");
        assert_eq!(encode("£"), "%C2%A3");
    }
}
