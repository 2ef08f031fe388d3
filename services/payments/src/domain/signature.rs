//! Stripe webhook signatures.
//!
//! `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">,…`.
//! Any `v1` may match any configured secret (several during a rotation); `v0`
//! and unknown schemes are ignored; the timestamp must be within the
//! tolerance of now, so a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed time may be from now.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("no v1 signature matches")]
    NoMatch,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    m
}

/// The header Stripe would send for `payload` signed with `secret` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let sig = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={sig}")
}

/// Verifies `header` for `payload` against any of `secrets` at time `now`.
pub fn verify(header: &str, payload: &[u8], secrets: &[String], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => timestamp = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => v1.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // Check the signature before the time, so a forged request learns nothing
    // about the tolerance.
    let matched = secrets.iter().any(|s| {
        v1.iter()
            .any(|sig| mac(s, timestamp, payload).verify_slice(sig).is_ok())
    });
    if !matched {
        return Err(SignatureError::NoMatch);
    }
    // Checked: a timestamp near i64::MIN or MAX must not overflow the difference.
    if now
        .checked_sub(timestamp)
        .is_none_or(|d| d.unsigned_abs() > TOLERANCE_SECS.unsigned_abs())
    {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    fn secrets(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_fresh_signature_verifies() {
        let h = sign("whsec_a", 1_000, BODY);
        assert_eq!(verify(&h, BODY, &secrets(&["whsec_a"]), 1_100), Ok(()));
    }

    #[test]
    fn any_secret_and_any_v1_may_match_during_rotation() {
        let old = sign("whsec_old", 1_000, BODY);
        let new = sign("whsec_new", 1_000, BODY);
        let both = format!("{},v1={},v0=deadbeef", new, old.split("v1=").nth(1).unwrap());
        assert_eq!(verify(&both, BODY, &secrets(&["whsec_old"]), 1_000), Ok(()));
        assert_eq!(verify(&both, BODY, &secrets(&["whsec_x", "whsec_new"]), 1_000), Ok(()));
    }

    #[test]
    fn a_signed_timestamp_at_the_ends_of_time_is_stale_not_an_overflow() {
        for t in [i64::MIN, i64::MAX] {
            let h = sign("whsec_a", t, BODY);
            assert_eq!(
                verify(&h, BODY, &secrets(&["whsec_a"]), 1_000),
                Err(SignatureError::Stale)
            );
        }
        let h = sign("whsec_a", i64::MAX, BODY);
        assert_eq!(
            verify(&h, BODY, &secrets(&["whsec_a"]), i64::MIN),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn forged_stale_tampered_and_v0_only_are_refused() {
        let h = sign("whsec_a", 1_000, BODY);
        assert_eq!(
            verify(&h, BODY, &secrets(&["whsec_b"]), 1_000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&h, BODY, &secrets(&["whsec_a"]), 1_000 + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&h, BODY, &secrets(&["whsec_a"]), 1_000 - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&h, b"{}", &secrets(&["whsec_a"]), 1_000),
            Err(SignatureError::NoMatch)
        );
        let v0 = h.replace("v1=", "v0=");
        assert_eq!(
            verify(&v0, BODY, &secrets(&["whsec_a"]), 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("garbage", BODY, &secrets(&["whsec_a"]), 1_000),
            Err(SignatureError::Malformed)
        );
    }
}
