use super::*;
use crate::pages::vocabulary::band_of;

#[test]
fn postcodes_are_checked_and_written_the_usual_way() {
    assert_eq!(normalise_postcode("ox28 4ab").as_deref(), Some("OX28 4AB"));
    assert_eq!(normalise_postcode("OX74AA").as_deref(), Some("OX7 4AA"));
    assert_eq!(normalise_postcode("SW1A 1AA").as_deref(), Some("SW1A 1AA"));
    assert_eq!(normalise_postcode("OX28"), None);
    assert_eq!(normalise_postcode("12345"), None);
}

#[test]
fn incomes_fall_into_their_band() {
    for b in INCOME_BANDS {
        assert_eq!(band_of(Some(b.top())), b.value);
    }
    assert_eq!(band_of(Some(1_800_000)), "15000-24999");
    assert_eq!(band_of(None), NOT_GIVEN);
}

fn answers(income: &str) -> Answers {
    let form = FormData(
        [
            ("postcode", "OX28 4AB"),
            ("members", "3"),
            ("income", income),
            ("cars", "1"),
            ("blue-badge", "no"),
            ("benefits", "none"),
            ("age", ""),
            ("seats", "4"),
            ("wheelchair", "no"),
            ("electric", "yes"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    );
    Answers::check(&form, &mut Errors::default(), true).unwrap()
}

#[test]
fn an_exact_income_is_kept_while_its_band_is_chosen() {
    let before = GivenIncome {
        annual_income_pence: Some(4_200_000),
        income_band: None,
    };
    assert_eq!(answers("35000-49999").income(&before), (Some(4_200_000), Value::Null));
    // Another band: its top, with the band.
    let (p, band) = answers("25000-34999").income(&before);
    assert_eq!(p, Some(3_499_900));
    assert_eq!(band, json!({"fromPence": 2_500_000, "belowPence": 3_500_000}));
    assert_eq!(answers(NOT_GIVEN).income(&before), (None, Value::Null));
    // A band with nothing before: its top.
    let (p, _) = answers("under-15000").income(&GivenIncome::default());
    assert_eq!(p, Some(1_499_900));
}
