//! Card payment with Stripe Elements, as a progressive enhancement: when
//! the front end has a Stripe publishable key, `card.js` (served by
//! [`crate::assets`]) loads
//! Stripe.js on "Check your booking", takes the card in Stripe's own fields
//! and books with the PaymentMethod it gives; on the confirmation page it
//! lets the household's bank confirm a payment that asks for it (3-D
//! Secure). Card details never reach Roundabout. Without JavaScript, or
//! without a key, the household's share is invoiced.

use axum::{
    http::{header, HeaderValue},
    response::Response,
};

use crate::config::StripeJs;

/// `https://js.stripe.com` of `https://js.stripe.com/v3/`.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// The site's policy, with Stripe.js, its frames and its API allowed.
pub fn csp(stripe: &StripeJs) -> String {
    let js = origin(&stripe.js_url);
    let (frames, connect) = if js == "https://js.stripe.com" {
        (
            "https://js.stripe.com https://hooks.stripe.com".to_string(),
            "https://api.stripe.com".to_string(),
        )
    } else {
        // Another Stripe.js (a test double) talks to its own origin.
        (js.to_string(), js.to_string())
    };
    format!(
        "default-src 'self'; script-src 'self' {js}; style-src 'self'; img-src 'self' data:; font-src 'none'; \
         frame-src {frames}; connect-src 'self' {connect}; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    )
}

/// `res` with the card policy when card payments are on.
pub fn with_csp(mut res: Response, stripe: Option<&StripeJs>) -> Response {
    if let Some(value) = stripe.and_then(|s| HeaderValue::from_str(&csp(s)).ok()) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

/// The PaymentMethod id Stripe.js put in the form, if any.
pub fn payment_method(raw: &str) -> Result<Option<&str>, &'static str> {
    match raw {
        "" => Ok(None),
        pm if pm.starts_with("pm_") && pm.len() <= 255 && pm.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Ok(Some(pm))
        }
        _ => Err("Your card details could not be read. Enter them again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lets_stripe_in_and_nothing_else() {
        let s = StripeJs {
            publishable_key: "pk_test_1".into(),
            js_url: crate::config::STRIPE_JS_URL.into(),
        };
        let p = csp(&s);
        assert!(p.contains("script-src 'self' https://js.stripe.com;"));
        assert!(p.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"));
        assert!(p.contains("connect-src 'self' https://api.stripe.com;"));
        assert!(p.contains("form-action 'self';"));
        let local = StripeJs {
            publishable_key: "pk_test_1".into(),
            js_url: "http://127.0.0.1:8420/js.stripe.com/v3/".into(),
        };
        assert!(csp(&local).contains("script-src 'self' http://127.0.0.1:8420;"));
    }

    #[test]
    fn only_a_payment_method_id_is_taken() {
        assert_eq!(payment_method(""), Ok(None));
        assert_eq!(payment_method("pm_1Abc"), Ok(Some("pm_1Abc")));
        assert!(payment_method("tok_visa").is_err());
        assert!(payment_method("pm_1\"><script>").is_err());
    }
}
