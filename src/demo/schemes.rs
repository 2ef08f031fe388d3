//! The demo's zones, the "EV lease support" scheme of the main journey
//! (published, with test cases) and the demo households' profiles.
//!
//! Idempotent like the rest of the demo: existing zones (by name), the
//! scheme (by name) and filled-in profiles are kept.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{data, DemoAccount, SIGN_IN};
use crate::graphql_client::GraphqlClient;

/// Demo households' profiles: (email, town, annual income in pence, cars
/// owned, blue badge). Ahmed qualifies; Brown earns too much and has a car;
/// Clarke lives outside Witney.
const PROFILES: &[(&str, &str, i64, i64, bool)] = &[
    ("ahmed@households.example", "Witney", 1_800_000, 0, false),
    ("brown@households.example", "Witney", 4_200_000, 1, false),
    ("clarke@households.example", "Chipping Norton", 1_500_000, 0, true),
];

/// West Oxfordshire's postcode districts with their approximate centres, in
/// the ONS Postcode Directory's columns.
const POSTCODE_DISTRICTS: &str = include_str!("postcodes.csv");

/// A postcode in each demo town.
fn postcode_of(town: &str) -> &'static str {
    match town {
        "Chipping Norton" => "OX7 5AA",
        "Carterton" => "OX18 3AA",
        _ => "OX28 4AB",
    }
}

/// The main journey's scheme.
pub const SCHEME_NAME: &str = "EV lease support";

async fn signed_in(anon: &GraphqlClient, accounts: &[DemoAccount], email: &str) -> anyhow::Result<GraphqlClient> {
    let account = accounts
        .iter()
        .find(|a| a.email == email)
        .with_context(|| format!("no demo account {email}"))?;
    let p = anon
        .mutate(
            "signIn",
            SIGN_IN,
            json!({"input": {"email": account.email, "password": account.password}}),
        )
        .await?;
    let Some(token) = p["token"].as_str() else {
        bail!("{email} could not sign in: {}", p["userErrors"]);
    };
    Ok(anon.with_token(token))
}

fn check(payload: &Value, what: &str) -> anyhow::Result<()> {
    match payload["userErrors"].as_array() {
        Some(e) if e.is_empty() => Ok(()),
        _ => bail!("{what}: {}", payload["userErrors"]),
    }
}

/// Seeds zones, the scheme and the profiles in the demo council.
pub async fn seed(anon: &GraphqlClient, council_id: &str, accounts: &[DemoAccount]) -> anyhow::Result<()> {
    let officer = signed_in(anon, accounts, data::OFFICER_EMAIL).await?;
    let existing = officer
        .query(
            "query($id: ID!) { council(id: $id) { zones { id name } schemes { name } } }",
            json!({"id": council_id}),
        )
        .await?;
    let mut zones: Vec<(String, String)> = existing["council"]["zones"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|z| Some((z["name"].as_str()?.to_string(), z["id"].as_str()?.to_string())))
        .collect();
    for town in data::TOWNS {
        if zones.iter().any(|(n, _)| n == town.name) {
            continue;
        }
        let p = officer
            .mutate(
                "createZone",
                "mutation($input: CreateZoneInput!) { createZone(input: $input) { zone { id } userErrors { code message } } }",
                json!({"input": {"councilId": council_id, "name": town.name, "geometry": data::zone(town)}}),
            )
            .await?;
        check(&p, "creating a demo zone")?;
        zones.push((
            town.name.to_string(),
            p["zone"]["id"].as_str().unwrap_or_default().to_string(),
        ));
    }
    // The West Oxfordshire postcode districts, so a household's postcode
    // gives its location (imported again on every run: it replaces).
    let p = officer
        .mutate(
            "importPostcodes",
            "mutation($input: ImportPostcodesInput!) { importPostcodes(input: $input) { importedCount userErrors { code message } } }",
            json!({"input": {"councilId": council_id, "csv": POSTCODE_DISTRICTS}}),
        )
        .await?;
    check(&p, "importing the demo postcode districts")?;
    let has_scheme = existing["council"]["schemes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["name"] == SCHEME_NAME);
    if !has_scheme {
        let witney = zones.iter().find(|(n, _)| n == "Witney").map(|(_, id)| id.clone());
        create_scheme(&officer, council_id, witney).await?;
    }
    for (email, town, income, cars, badge) in PROFILES {
        let household = signed_in(anon, accounts, email).await?;
        let me = household
            .query("{ me { household { profile { members } } } }", json!({}))
            .await?;
        if !me["me"]["household"]["profile"].is_null() {
            continue;
        }
        let centre = data::TOWNS
            .iter()
            .find(|t| t.name == *town)
            .map(|t| t.centre)
            .context("demo town")?;
        let p = household
            .mutate(
                "updateHouseholdProfile",
                "mutation($input: HouseholdProfileInput!) { updateHouseholdProfile(input: $input) { household { id } userErrors { code message } } }",
                json!({"input": {
                    "location": {"lat": centre.1, "lon": centre.0},
                    "postcode": postcode_of(town),
                    "members": 3,
                    "annualIncomePence": income,
                    "carsOwned": cars,
                    "blueBadge": badge,
                    "benefits": if *income < 2_000_000 { json!(["universal_credit"]) } else { json!([]) },
                    "leadAge": 41,
                    "needs": {"seats": 4, "wheelchairAccessible": false, "electricPreferred": true},
                }}),
            )
            .await?;
        check(&p, "filling in a demo profile")?;
    }
    Ok(())
}

async fn create_scheme(officer: &GraphqlClient, council_id: &str, witney: Option<String>) -> anyhow::Result<()> {
    let fields = "scheme { id } userErrors { field code message }";
    let p = officer
        .mutate(
            "createScheme",
            &format!("mutation($input: SchemeInput!) {{ createScheme(input: $input) {{ {fields} }} }}"),
            json!({"input": {
                "councilId": council_id,
                "name": SCHEME_NAME,
                "description": "40% off car-club hire and EV leases, up to £120 a booking or lease month, for Witney households on low incomes without a car.",
                "zoneIds": witney.into_iter().collect::<Vec<_>>(),
                "criteria": [
                    {"id": "income", "label": "Household income under £25,000",
                     "rule": {"<": [{"var": "household.annualIncomePence"}, 2_500_000]},
                     "failText": "This scheme is for households with an income under {limit}. You told us your household's income is {value}."},
                    {"id": "no-car", "label": "No car in the household",
                     "rule": {"==": [{"var": "household.carsOwned"}, 0]},
                     "failText": "This scheme is for households without a car. You told us your household owns {value}."},
                ],
                "subsidy": {"percentBasisPoints": 4000, "capPerBookingPence": 12000},
                "appliesTo": ["LEASE", "HIRE"],
                "budgetPence": 20_000_000,
            }}),
        )
        .await?;
    check(&p, "creating the demo scheme")?;
    let id = p["scheme"]["id"].as_str().context("the demo scheme's id")?.to_string();
    let cases = [
        ("Low income, no car", 1_800_000, 0, true),
        ("Income above the limit", 3_100_000, 0, false),
        ("Owns a car", 1_200_000, 1, false),
    ];
    for (name, income, cars, expect) in cases {
        let p = officer
            .mutate(
                "addSchemeTestCase",
                &format!(
                    "mutation($input: SchemeTestCaseInput!) {{ addSchemeTestCase(input: $input) {{ {fields} }} }}"
                ),
                json!({"input": {"schemeId": id, "name": name, "expectEligible": expect,
                    "facts": {"household": {"members": 3, "annualIncomePence": income, "carsOwned": cars}}}}),
            )
            .await?;
        check(&p, "adding a demo test case")?;
    }
    let p = officer
        .mutate(
            "publishScheme",
            &format!("mutation($id: ID!) {{ publishScheme(id: $id) {{ {fields} }} }}"),
            json!({"id": id}),
        )
        .await?;
    check(&p, "publishing the demo scheme")
}
