//! Where the front end may send a browser: only paths on this site.
//!
//! A `next` given by a visitor (the page to return to after signing in) is
//! followed only when it is a plain same-origin path. Browsers and URL
//! parsers forgive a lot — they drop tabs and newlines, read `\` as `/`, and
//! some servers decode `%2F` — so `/\t/evil.example/`, `/\evil.example` or
//! `/%2F/evil.example` can all lead off-site. Rather than guess how each
//! reader resolves a value, anything that is not plainly a local path is
//! refused and the user goes to their role's home page instead.
//!
//! Every `Location` the front end sends goes through [`location`], so no
//! header can carry a control character whatever a handler built.

use axum::http::HeaderValue;

/// `next` if it is a path on this site (never another origin), else `None`.
///
/// Accepted: it starts with one `/` (not `//` or `/\`), holds only visible
/// ASCII (no control characters, no whitespace, nothing outside ASCII), no
/// backslash, and percent-decoded once it still passes the same checks (so
/// `/%2F/evil` and `/%09/evil` are refused too).
pub fn safe_next(next: &str) -> Option<&str> {
    (is_local_path(next.as_bytes()) && is_local_path(&roundabout_api::url::decode_bytes(next.as_bytes())))
        .then_some(next)
}

/// The checks of [`safe_next`] on one form of the value.
fn is_local_path(p: &[u8]) -> bool {
    let starts_well = p.first() == Some(&b'/') && !matches!(p.get(1), Some(b'/' | b'\\'));
    // Visible ASCII only: rules out control characters (tab, CR, LF, NUL,
    // DEL), every kind of whitespace, and look-alikes such as the
    // full-width solidus, which some parsers fold into `/`.
    starts_well && p.iter().all(|&b| b.is_ascii_graphic() && b != b'\\')
}

/// The `Location` header for `to`: used as it is when it is visible ASCII
/// (a path built by the front end, or an `https://` link the API gave);
/// anything holding a control character, whitespace or non-ASCII text
/// becomes `/`, so a header never carries what a browser might misread.
pub fn location(to: &str) -> HeaderValue {
    if !to.is_empty() && to.bytes().all(|b| b.is_ascii_graphic()) {
        if let Ok(v) = HeaderValue::from_str(to) {
            return v;
        }
    }
    tracing::warn!(to = ?to, "refused a redirect that is not plain ASCII; sent to the start instead");
    HeaderValue::from_static("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_followed() {
        for ok in [
            "/",
            "/bookings/1",
            "/bookings?after=x",
            "/officer/households?q=John+Smith",
            "/find-a-vehicle/hire?search=1&day=3",
            "/bookings%3Fafter%3Dx",
        ] {
            assert_eq!(safe_next(ok), Some(ok), "{ok:?} is a local path");
        }
    }

    #[test]
    fn every_way_off_the_site_is_refused() {
        let hostile = [
            "",
            "bookings",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example/",
            "\t//evil.example",
            "/%09/evil.example/",
            "/%0a/evil.example/",
            "/%0D%0A/evil.example/",
            "/%2F/evil.example",
            "/%2f/evil.example",
            "/%5C/evil.example",
            "/%5cevil.example",
            "/%20/evil.example",
            "/%00/evil.example",
            "/ /evil.example",
            "/\u{0B}/evil.example",
            "/\u{7F}/evil.example",
            "/\u{00A0}/evil.example",
            "/\u{3000}/evil.example",
            "/\u{FF0F}evil.example",
            "/\u{FF3C}evil.example",
            "\u{FF0F}\u{FF0F}evil.example",
            "/%EF%BC%8Fevil.example",
            "https://evil.example",
            "https:evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            " /bookings",
            "/bookings ",
            "/bookings\u{0}",
        ];
        for bad in hostile {
            assert_eq!(safe_next(bad), None, "{bad:?} must not be followed");
        }
    }

    #[test]
    fn percent_decoding_happens_once_only() {
        assert_eq!(roundabout_api::url::decode_bytes(b"/%252F"), b"/%2F");
        assert_eq!(roundabout_api::url::decode_bytes(b"/%zz%4"), b"/%zz%4");
        // Decoded once, `%252F` is `%2F`: still a plain path.
        assert_eq!(safe_next("/a%252Fb"), Some("/a%252Fb"));
    }

    #[test]
    fn a_location_never_carries_a_control_character() {
        assert_eq!(location("/bookings/1"), "/bookings/1");
        assert_eq!(
            location("https://connect.stripe.test/setup/x"),
            "https://connect.stripe.test/setup/x"
        );
        for bad in ["/\t/evil.example/", "/\r\nSet-Cookie: x=1", "/a b", "/\u{FF0F}x", ""] {
            assert_eq!(location(bad), "/", "{bad:?}");
        }
    }
}
