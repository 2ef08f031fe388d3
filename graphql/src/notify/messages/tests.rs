use super::*;
use chrono::{TimeZone, Utc};
use roundabout_api::states::{BookingStatus, Propulsion, VehicleKind, VehicleStatus};
use uuid::Uuid;

fn facts_parts() -> (BookingEvent, VehicleData, ProviderData, CouncilData) {
    let now = Utc.with_ymd_and_hms(2026, 12, 10, 12, 0, 0).unwrap();
    let event = BookingEvent {
        booking_id: Uuid::parse_str("28844eea-0000-4000-8000-000000000000").unwrap(),
        household_id: Uuid::new_v4(),
        council_id: Uuid::new_v4(),
        provider_id: Uuid::new_v4(),
        vehicle_id: Uuid::new_v4(),
        kind: BookingKind::Hire,
        lease_months: None,
        start_at: now,
        end_at: now + chrono::Duration::hours(3),
        status: BookingStatus::Confirmed,
        currency: "GBP".into(),
        base_pence: Pence(1800),
        subsidy_pence: Pence(720),
        first_base_pence: Pence(1800),
        first_subsidy_pence: Pence(720),
        payment_method: Some("CARD".into()),
        refund_pence: Some(Pence(1080)),
    };
    let vehicle = VehicleData {
        id: event.vehicle_id,
        provider_id: event.provider_id,
        list_seq: 1,
        kind: VehicleKind::Car,
        make: "Nissan".into(),
        model: "Leaf".into(),
        registration: Some("WX26D009".into()),
        seats: 5,
        propulsion: Propulsion::Electric,
        range_km: Some(270),
        co2_grams_per_km: Some(0),
        wheelchair_accessible: false,
        lat: 51.78,
        lon: -1.48,
        status: VehicleStatus::Available,
        currency: "GBP".into(),
        per_hour_pence: Some(Pence(600)),
        per_day_pence: None,
        per_month_lease_pence: None,
        deposit_pence: Pence(0),
        created_at: now,
        updated_at: now,
    };
    let provider = ProviderData {
        id: event.provider_id,
        name: "Cotswold Car Club".into(),
        created_at: now,
        pickup_address: Some("Cotswold Car Club office\nMarket Square\nWitney".into()),
        contact_phone: Some("01993 555010".into()),
        contact_email: None,
    };
    let council = CouncilData {
        id: event.council_id,
        name: "West Oxfordshire".into(),
        code: "WOX".into(),
        boundary: serde_json::json!({}),
        created_at: now,
        contact_email: Some("transport@westoxon.example".into()),
        contact_phone: None,
        data_protection_officer: None,
        data_protection_email: None,
        postal_address: None,
        accessibility_email: None,
        accessibility_phone: None,
    };
    (event, vehicle, provider, council)
}

#[test]
fn every_booking_message_names_the_reference_and_where_to_get_help_and_texts_stay_short() {
    let (event, vehicle, provider, council) = facts_parts();
    let f = BookingFacts {
        event: &event,
        vehicle: &vehicle,
        provider: &provider,
        council: &council,
        site: "https://roundabout.example",
    };
    for t in [
        Template::BookingConfirmed,
        Template::BookingReminder,
        Template::BookingCancelled,
        Template::BookingCompleted,
    ] {
        let email = f.for_household(t, Channel::Email);
        assert!(email.subject.contains("28844EEA"), "{t:?}: {}", email.subject);
        assert!(email.body.contains("28844EEA"), "{t:?}");
        assert!(email.body.contains("# If you need help"), "{t:?}: {}", email.body);
        assert_eq!(email.personalisation["reference"], "28844EEA");
        let sms = f.for_household(t, Channel::Sms);
        assert!(sms.body.contains("28844EEA"), "{t:?}");
        // Two text message fragments at most (GOV.UK Notify: 160 characters each, 153 when joined).
        assert!(
            sms.body.chars().count() <= 306,
            "{t:?}: {} characters",
            sms.body.chars().count()
        );
    }
    let confirmed = f.for_household(Template::BookingConfirmed, Channel::Email).body;
    assert!(confirmed.contains("You pay £10.80 for this hire"), "{confirmed}");
    assert!(
        confirmed.contains("West Oxfordshire pays the other £7.20"),
        "{confirmed}"
    );
    let cancelled = f.for_household(Template::BookingCancelled, Channel::Email).body;
    assert!(cancelled.contains("We have refunded £10.80"), "{cancelled}");
    // The pick-up address sits on one line inside a sentence.
    let provider_mail = f.for_provider(Template::ProviderNewBooking).body;
    assert!(
        provider_mail.contains("Have the vehicle ready at Cotswold Car Club office, Market Square, Witney."),
        "{provider_mail}"
    );
}

#[test]
fn times_are_written_in_uk_time_the_gov_uk_way() {
    // 09:00 UTC in July is 10am British Summer Time.
    let t = Utc.with_ymd_and_hms(2026, 7, 4, 9, 0, 0).unwrap();
    assert_eq!(when(t), "Saturday 4 July 2026 at 10am");
    let t = Utc.with_ymd_and_hms(2026, 12, 5, 12, 30, 0).unwrap();
    assert_eq!(when(t), "Saturday 5 December 2026 at 12:30pm");
    assert_eq!(day(t), "5 December 2026");
}
