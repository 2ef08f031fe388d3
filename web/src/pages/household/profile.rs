//! "Your household": the profile in plain questions. The postcode gives
//! the location through the council's postcode lookup (`locatePostcode`).

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{assist::Acting, render, render_refused, with_session},
    AppState,
};

pub fn router(prefix: &str) -> Router<AppState> {
    Router::new().route(&format!("{prefix}/profile"), get(page).post(save))
}

/// Income bands: (form value, label, pence stored). The top of each band
/// is stored, so a scheme limit at a band's edge ("under £25,000") judges
/// the band as a whole.
pub const INCOME_BANDS: &[(&str, &str, Option<i64>)] = &[
    ("under-15000", "Under £15,000", Some(1_499_900)),
    ("15000-24999", "£15,000 to £24,999", Some(2_499_900)),
    ("25000-34999", "£25,000 to £34,999", Some(3_499_900)),
    ("35000-49999", "£35,000 to £49,999", Some(4_999_900)),
    ("50000-plus", "£50,000 or more", Some(5_000_000)),
    ("not-given", "I would rather not say", None),
];

fn band_of(income: Option<i64>) -> &'static str {
    match income {
        None => "not-given",
        Some(p) if p < 1_500_000 => "under-15000",
        Some(p) if p < 2_500_000 => "15000-24999",
        Some(p) if p < 3_500_000 => "25000-34999",
        Some(p) if p < 5_000_000 => "35000-49999",
        Some(_) => "50000-plus",
    }
}

/// Benefits asked about: (value stored, label).
pub const BENEFITS: &[(&str, &str)] = &[
    ("universal_credit", "Universal Credit"),
    ("pension_credit", "Pension Credit"),
    ("pip", "Personal Independence Payment (PIP)"),
    ("dla", "Disability Living Allowance"),
    ("attendance_allowance", "Attendance Allowance"),
    ("carers_allowance", "Carer's Allowance"),
];

#[derive(Template)]
#[template(path = "household/profile.html")]
struct ProfilePage {
    l: crate::views::Layout,
    form: FormData,
    errors: Errors,
    council: String,
    bands: &'static [(&'static str, &'static str, Option<i64>)],
    benefits: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    postcode: Option<String>,
    members: i64,
    annual_income_pence: Option<i64>,
    cars_owned: i64,
    blue_badge: bool,
    benefits: Vec<String>,
    lead_age: Option<i64>,
    needs: Needs,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Needs {
    seats: i64,
    wheelchair_accessible: bool,
    electric_preferred: bool,
}

#[derive(Deserialize)]
struct Council {
    id: String,
    name: String,
}

async fn household(s: &AppState, a: &Acting) -> Result<(Council, Option<Profile>), crate::error::PageError> {
    #[derive(Deserialize)]
    struct H {
        council: Council,
        profile: Option<Profile>,
    }
    let h: H = a
        .household(
            s,
            "",
            "council { id name } profile { postcode members annualIncomePence carsOwned blueBadge benefits leadAge needs { seats wheelchairAccessible electricPreferred } }",
            json!({}),
        )
        .await?;
    Ok((h.council, h.profile))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn form_of(p: &Profile) -> FormData {
    let mut f = FormData::default();
    f.set("postcode", p.postcode.clone().unwrap_or_default());
    f.set("members", p.members.to_string());
    f.set("income", band_of(p.annual_income_pence));
    f.set("cars", p.cars_owned.min(3).to_string());
    f.set("blue-badge", yes_no(p.blue_badge));
    for b in &p.benefits {
        f.0.push(("benefits".into(), b.clone()));
    }
    if p.benefits.is_empty() {
        f.set("benefits", "none");
    }
    f.set("age", p.lead_age.map(|a| a.to_string()).unwrap_or_default());
    f.set("seats", p.needs.seats.to_string());
    f.set("wheelchair", yes_no(p.needs.wheelchair_accessible));
    f.set("electric", yes_no(p.needs.electric_preferred));
    f
}

async fn page(State(s): State<AppState>, user: Acting) -> PageResult {
    let (council, profile) = household(&s, &user).await?;
    render(&ProfilePage {
        l: user.layout("About your household", "/profile"),
        form: profile.as_ref().map(form_of).unwrap_or_default(),
        errors: Errors::default(),
        council: council.name,
        bands: INCOME_BANDS,
        benefits: BENEFITS,
    })
}

/// A whole number in `min..=max`, or the message for `field`.
fn number(
    form: &FormData,
    field: &str,
    min: i64,
    max: i64,
    errors: &mut Errors,
    empty: &str,
    range: &str,
) -> Option<i64> {
    let raw = form.get(field);
    if raw.is_empty() {
        errors.add(field, empty);
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.add(field, range);
            None
        }
    }
}

fn yes_no_answer(form: &FormData, field: &str, errors: &mut Errors, message: &str) -> Option<bool> {
    match form.get(field) {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add(field, message);
            None
        }
    }
}

/// A UK postcode's shape: outward code, optional space, inward code.
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let ok = (5..=7).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s[s.len() - 3..].chars().next().is_some_and(|c| c.is_ascii_digit())
        && s[s.len() - 2..].chars().all(|c| c.is_ascii_alphabetic());
    ok.then(|| format!("{} {}", &s[..s.len() - 3], &s[s.len() - 3..]))
}

async fn save(State(s): State<AppState>, user: Acting, CsrfForm(form): CsrfForm) -> PageResult {
    let (council, _) = household(&s, &user).await?;
    let mut errors = Errors::default();
    let postcode = match form.get("postcode") {
        "" => {
            errors.add("postcode", "Enter your postcode");
            None
        }
        raw => match normalise_postcode(raw) {
            Some(p) => Some(p),
            None => {
                errors.add("postcode", "Enter a real postcode, like OX28 4AB");
                None
            }
        },
    };
    let members = number(
        &form,
        "members",
        1,
        30,
        &mut errors,
        "Enter how many people live in your household",
        "The number of people must be a whole number from 1 to 30",
    );
    let income = INCOME_BANDS.iter().find(|b| b.0 == form.get("income"));
    if income.is_none() {
        errors.add(
            "income",
            "Select your household's income, or that you would rather not say",
        );
    }
    let cars = number(
        &form,
        "cars",
        0,
        3,
        &mut errors,
        "Select how many cars your household owns",
        "Select how many cars your household owns",
    );
    let blue_badge = yes_no_answer(
        &form,
        "blue-badge",
        &mut errors,
        "Select yes if anyone in your household holds a Blue Badge",
    );
    let benefits: Vec<&str> = form
        .all("benefits")
        .into_iter()
        .filter(|b| BENEFITS.iter().any(|k| k.0 == *b))
        .collect();
    let age = match form.get("age") {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(a) if (16..=120).contains(&a) => Some(a),
            _ => {
                errors.add("age", "Age must be a whole number from 16 to 120");
                None
            }
        },
    };
    let seats = number(
        &form,
        "seats",
        1,
        16,
        &mut errors,
        "Enter how many seats you usually need",
        "Seats must be a whole number from 1 to 16",
    );
    let wheelchair = yes_no_answer(
        &form,
        "wheelchair",
        &mut errors,
        "Select yes if anyone travelling needs a wheelchair-accessible vehicle",
    );
    let electric = yes_no_answer(
        &form,
        "electric",
        &mut errors,
        "Select yes if you would prefer an electric vehicle",
    );

    let mut location = None;
    if let Some(pc) = &postcode {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            locate_postcode: Option<serde_json::Value>,
        }
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                "query($c: ID!, $p: String!) { locatePostcode(councilId: $c, postcode: $p) { lat lon } }",
                json!({"c": council.id, "p": pc}),
            )
            .await?;
        match d.locate_postcode {
            Some(l) => location = Some(l),
            None => errors.add(
                "postcode",
                format!("We cannot find {pc} in {}. Check it is your postcode", council.name),
            ),
        }
    }

    if let (
        true,
        Some(location),
        Some(members),
        Some(income),
        Some(cars),
        Some(blue_badge),
        Some(seats),
        Some(wheelchair),
        Some(electric),
    ) = (
        errors.is_empty(),
        location,
        members,
        income,
        cars,
        blue_badge,
        seats,
        wheelchair,
        electric,
    ) {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            update_household_profile: Payload,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            user_errors: Vec<UserError>,
        }
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                "mutation($input: HouseholdProfileInput!) { updateHouseholdProfile(input: $input) { household { id } userErrors { field code message } } }",
                json!({"input": {
                    "location": location, "postcode": postcode, "members": members,
                    "annualIncomePence": income.2, "carsOwned": cars, "blueBadge": blue_badge,
                    "benefits": benefits, "leadAge": age,
                    "needs": {"seats": seats, "wheelchairAccessible": wheelchair, "electricPreferred": electric},
                    "householdId": user.household_id(),
                }}),
            )
            .await?;
        if d.update_household_profile.user_errors.is_empty() {
            if user.household.is_some() {
                let data = user.session.data.with_flash("The household's details are saved.");
                return Ok(with_session(see_other(&user.base()), data));
            }
            let data = user.session.data.with_flash("Your household's details are saved.");
            return Ok(with_session(see_other("/schemes"), data));
        }
        errors = Errors::from_user_errors(&d.update_household_profile.user_errors, "postcode", |f| match f {
            "location" | "postcode" | "lat" | "lon" => Some("postcode"),
            "members" => Some("members"),
            "annualIncomePence" => Some("income"),
            "carsOwned" => Some("cars"),
            "blueBadge" => Some("blue-badge"),
            "benefits" => Some("benefits"),
            "leadAge" => Some("age"),
            "seats" => Some("seats"),
            "wheelchairAccessible" => Some("wheelchair"),
            "electricPreferred" => Some("electric"),
            _ => None,
        });
    }
    render_refused(&ProfilePage {
        l: user.layout("About your household", "/profile").with_errors(&errors),
        form,
        errors,
        council: council.name,
        bands: INCOME_BANDS,
        benefits: BENEFITS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_checked_and_written_the_usual_way() {
        assert_eq!(normalise_postcode("ox28 4ab").as_deref(), Some("OX28 4AB"));
        assert_eq!(normalise_postcode("OX74AA").as_deref(), Some("OX7 4AA"));
        assert_eq!(normalise_postcode("SW1A 1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("OX28"), None);
        assert_eq!(normalise_postcode("12345"), None);
    }

    #[test]
    fn stored_incomes_fall_back_into_their_band() {
        for (value, _, pence) in INCOME_BANDS {
            assert_eq!(band_of(*pence), *value);
        }
        assert_eq!(band_of(Some(1_800_000)), "15000-24999");
    }
}
