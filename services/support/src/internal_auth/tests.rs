//! Tests of internal caller tokens: who may assert whom, keys, rotation, expiry, caches.
use super::*;
use crate::internal_keys::SigningKey;

fn key(kid: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(kid, &[seed; 32]).unwrap()
}

/// Trusted lists from `(issuer, key)` pairs.
fn trust(keys: &[(&str, &SigningKey)]) -> TrustedKeys {
    let mut t = TrustedKeys::default();
    for (issuer, k) in keys {
        t.insert(k.kid(), issuer, k.public_key()).unwrap();
    }
    t
}

/// A deployed part: its own key, the others' public keys.
fn part(name: &'static str, own: &SigningKey, trusted: &TrustedKeys) -> InternalAuth {
    InternalAuth::new(
        &InternalKeys {
            signing: own.clone(),
            trusted: trusted.clone(),
        },
        name,
    )
    .unwrap()
}

struct World {
    gateway: InternalAuth,
    bookings: InternalAuth,
    inventory: InternalAuth,
    payments: InternalAuth,
}

fn world() -> World {
    let (g, b, i, p) = (key("gw-1", 1), key("bk-1", 2), key("inv-1", 3), key("pay-1", 4));
    let t = trust(&[("gateway", &g), ("bookings", &b), ("inventory", &i), ("payments", &p)]);
    World {
        gateway: part("gateway", &g, &t),
        bookings: part("bookings", &b, &t),
        inventory: part("inventory", &i, &t),
        payments: part("payments", &p, &t),
    }
}

fn admin() -> Caller {
    Caller {
        admin: true,
        ..Caller::user(Uuid::new_v4(), "admin@example.org")
    }
}

#[test]
fn token_for_one_service_is_refused_by_another() {
    let w = world();
    let caller = Caller::user(Uuid::new_v4(), "a@example.org");
    let t = w.gateway.sign("inventory", &caller);
    assert_eq!(w.inventory.verify(&t).unwrap(), caller);
    assert_eq!(w.payments.verify_at(&t, token::now()), Err(Refusal::WrongAudience));
    assert_eq!(w.payments.verify(&t).unwrap_err().code(), "UNAUTHENTICATED");
}

#[test]
fn the_gateway_speaks_for_people_and_itself() {
    let w = world();
    let council = Uuid::new_v4();
    let mut officer = Caller::user(Uuid::new_v4(), "o@example.org");
    officer.officer_of = vec![council];
    let mut assisted = officer.clone();
    assisted.household = Some(HouseholdMembership {
        household_id: Uuid::new_v4(),
        council_id: council,
    });
    assisted.assisted_by = Some(AssistedBy {
        user_id: officer.user_id.unwrap(),
        name: "o@example.org".into(),
    });
    for caller in [
        admin(),
        officer,
        assisted,
        Caller::anonymous(),
        Caller::service("gateway"),
    ] {
        let t = w.gateway.sign("inventory", &caller);
        assert_eq!(w.inventory.verify(&t).unwrap(), caller);
    }
    // But not for a service.
    let t = w.gateway.sign("inventory", &Caller::service("bookings"));
    assert_eq!(
        w.inventory.verify_at(&t, token::now()),
        Err(Refusal::NotAllowed("gateway".into()))
    );
}

#[test]
fn a_service_key_cannot_mint_a_user_or_an_admin() {
    let w = world();
    let mut officer = Caller::user(Uuid::new_v4(), "o@example.org");
    officer.officer_of = vec![Uuid::new_v4()];
    for caller in [
        admin(),
        officer,
        Caller::user(Uuid::new_v4(), "u@example.org"),
        Caller::anonymous(),
    ] {
        let t = w.bookings.sign("inventory", &caller);
        assert_eq!(
            w.inventory.verify_at(&t, token::now()),
            Err(Refusal::NotAllowed("bookings".into())),
            "{caller:?}"
        );
        assert_eq!(w.inventory.verify(&t).unwrap_err().code(), "UNAUTHENTICATED");
    }
}

#[test]
fn a_service_key_speaks_only_for_that_service() {
    let w = world();
    let own = Caller::service("bookings");
    let t = w.bookings.sign("inventory", &own);
    assert_eq!(w.inventory.verify(&t).unwrap(), own);
    for other in ["payments", "gateway", "inventory"] {
        let t = w.bookings.sign("inventory", &Caller::service(other));
        assert_eq!(
            w.inventory.verify_at(&t, token::now()),
            Err(Refusal::NotAllowed("bookings".into())),
            "{other}"
        );
    }
    // Itself, but with a person's rights added, is not itself.
    let inflated = Caller {
        admin: true,
        ..Caller::service("bookings")
    };
    let t = w.bookings.sign("inventory", &inflated);
    assert!(w.inventory.verify(&t).is_err());
}

#[test]
fn an_unknown_key_id_is_refused() {
    let w = world();
    let stranger = key("gw-1-but-not-trusted", 9);
    let t = trust(&[("gateway", &stranger)]);
    let outsider = part("gateway", &stranger, &t);
    let token = outsider.sign("inventory", &admin());
    assert_eq!(w.inventory.verify_at(&token, token::now()), Err(Refusal::UnknownKey));
    // The right id with another key's signature.
    let forged = InternalAuth::new(
        &InternalKeys {
            signing: key("gw-1", 9),
            trusted: TrustedKeys::default(),
        },
        "gateway",
    )
    .unwrap()
    .sign("inventory", &admin());
    assert_eq!(w.inventory.verify_at(&forged, token::now()), Err(Refusal::BadSignature));
}

#[test]
fn during_a_rotation_both_keys_verify_and_a_retired_key_is_refused_once_removed() {
    let (old, new) = (key("gw-2024", 1), key("gw-2025", 5));
    let before = part("gateway", &old, &trust(&[("gateway", &old)]));
    let after = part("gateway", &new, &trust(&[("gateway", &new)]));
    let caller = admin();
    let by_old = before.sign("inventory", &caller);
    let by_new = after.sign("inventory", &caller);
    let inv = key("inv-1", 3);
    let during = part(
        "inventory",
        &inv,
        &trust(&[("gateway", &old), ("gateway", &new), ("inventory", &inv)]),
    );
    assert_eq!(during.verify(&by_old).unwrap(), caller);
    assert_eq!(during.verify(&by_new).unwrap(), caller);
    let done = part("inventory", &inv, &trust(&[("gateway", &new), ("inventory", &inv)]));
    assert_eq!(done.verify(&by_new).unwrap(), caller);
    assert_eq!(done.verify_at(&by_old, token::now()), Err(Refusal::UnknownKey));
}

#[test]
fn expired_far_future_tampered_and_malformed_tokens_are_refused() {
    let w = world();
    let now = token::now();
    let caller = Caller::user(Uuid::new_v4(), "a@example.org");
    let expired = w.gateway.sign_at("inventory", &caller, now - 1);
    assert_eq!(w.inventory.verify_at(&expired, now), Err(Refusal::Expired));
    let at_expiry = w.gateway.sign_at("inventory", &caller, now);
    assert_eq!(w.inventory.verify_at(&at_expiry, now), Err(Refusal::Expired));
    let for_a_day = w.gateway.sign_at("inventory", &caller, now + 86_400);
    assert_eq!(w.inventory.verify_at(&for_a_day, now), Err(Refusal::Expired));

    // Other claims under a valid signature.
    let t = w.gateway.sign("inventory", &caller);
    let (kid, rest) = t.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let claims = serde_json::json!({"caller": admin(), "aud": "inventory", "exp": now + 30});
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let swapped = format!("{kid}.{payload}.{sig}");
    assert_eq!(w.inventory.verify_at(&swapped, now), Err(Refusal::BadSignature));
    // The gateway's signature under a service's key id.
    let relabelled = format!("bk-1.{rest}");
    assert_eq!(w.inventory.verify_at(&relabelled, now), Err(Refusal::BadSignature));
    // One bit of the signature flipped.
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[0] ^= 1;
    let flipped = format!(
        "{kid}.{}.{}",
        rest.split_once('.').unwrap().0,
        URL_SAFE_NO_PAD.encode(bytes)
    );
    assert_eq!(w.inventory.verify_at(&flipped, now), Err(Refusal::BadSignature));

    for junk in [
        "",
        "garbage",
        "gw-1.",
        "gw-1..",
        "a.b",
        "gw-1.!!.!!",
        &"x".repeat(MAX_TOKEN_LEN + 1),
    ] {
        assert!(w.inventory.verify_at(junk, now).is_err(), "{junk}");
    }
    assert_eq!(w.inventory.verify_at("gw-1.e30.!!!", now), Err(Refusal::Malformed));
}

#[test]
fn a_cached_token_still_expires_and_a_refused_one_is_never_cached() {
    let w = world();
    let now = token::now();
    let caller = admin();
    let t = w.gateway.sign_at("inventory", &caller, now + 10);
    assert_eq!(w.inventory.verify_at(&t, now).unwrap(), caller);
    assert_eq!(w.inventory.verify_at(&t, now + 5).unwrap(), caller);
    assert_eq!(w.inventory.verify_at(&t, now + 10), Err(Refusal::Expired));
    let forged = w.bookings.sign("inventory", &caller);
    for _ in 0..2 {
        assert_eq!(
            w.inventory.verify_at(&forged, now),
            Err(Refusal::NotAllowed("bookings".into()))
        );
    }
    // The same caller to the same service reuses its token; another
    // audience or caller gets its own.
    let a = w.gateway.sign("inventory", &caller);
    assert_eq!(w.gateway.sign("inventory", &caller), a);
    assert_ne!(w.gateway.sign("payments", &caller), a);
    assert_ne!(w.gateway.sign("inventory", &Caller::anonymous()), a);
}

#[test]
fn a_full_cache_forgets_rather_than_grows() {
    let cache = TokenCache::new();
    for i in 0..CACHE_ENTRIES + 10 {
        cache.put(i.to_string(), i, 100, 0);
    }
    assert!(cache.lock().len() <= CACHE_ENTRIES);
    assert_eq!(
        cache.get(&(CACHE_ENTRIES + 9).to_string()),
        Some((CACHE_ENTRIES + 9, 100))
    );
}

#[test]
fn a_token_is_compact() {
    let w = world();
    let t = w.gateway.sign("eligibility", &admin());
    assert!(t.len() < 512, "{} bytes: {t}", t.len());
    assert!(w.bookings.sign("payments", &Caller::service("bookings")).len() < 400);
}

#[test]
fn officer_rights_are_per_council() {
    let a = Uuid::new_v4();
    let b = Uuid::new_v4();
    let mut c = Caller::user(Uuid::new_v4(), "o@example.org");
    c.officer_of = vec![a];
    assert!(c.require_council_officer(a).is_ok());
    assert_eq!(c.require_council_officer(b).unwrap_err().code(), "FORBIDDEN");
    assert_eq!(c.require_admin().unwrap_err().code(), "FORBIDDEN");
}
