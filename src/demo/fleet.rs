//! The demo fleet: both demo providers apply to West Oxfordshire, the demo
//! officer approves them, and each imports a mixed fleet (cars, a van, WAVs,
//! a minibus, e-bikes and cargo bikes) near the district's towns, once.
//!
//! Idempotent: applying and approving again change nothing, and a provider
//! whose fleet is not empty imports nothing.

use anyhow::{bail, Context};
use serde_json::json;

use super::{data, DemoAccount};
use crate::graphql_client::{user_error_code, GraphqlClient};

const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) { token userErrors { code message } } }";

/// Vehicles per provider.
const PER_PROVIDER: usize = 25;

/// (kind, make, model, seats, propulsion, range km, wheelchair, per hour, per day, per month lease, deposit).
type Model = (
    &'static str,
    &'static str,
    &'static str,
    u8,
    &'static str,
    u16,
    bool,
    u32,
    u32,
    u32,
    u32,
);

const MODELS: &[Model] = &[
    (
        "CAR", "Renault", "Zoe", 5, "ELECTRIC", 380, false, 650, 4_500, 32_000, 10_000,
    ),
    (
        "CAR", "Nissan", "Leaf", 5, "ELECTRIC", 270, false, 600, 4_200, 29_000, 10_000,
    ),
    (
        "CAR",
        "Toyota",
        "Yaris Hybrid",
        5,
        "HYBRID",
        800,
        false,
        550,
        3_900,
        0,
        10_000,
    ),
    (
        "VAN",
        "Ford",
        "E-Transit",
        3,
        "ELECTRIC",
        300,
        false,
        1_200,
        8_500,
        0,
        20_000,
    ),
    (
        "WAV",
        "Peugeot",
        "e-Rifter WAV",
        5,
        "ELECTRIC",
        250,
        true,
        900,
        6_000,
        45_000,
        15_000,
    ),
    (
        "MINIBUS",
        "Ford",
        "Transit Minibus",
        14,
        "DIESEL",
        900,
        true,
        2_500,
        14_000,
        0,
        30_000,
    ),
    (
        "EBIKE",
        "Raleigh",
        "Motus",
        1,
        "ELECTRIC_ASSIST",
        80,
        false,
        300,
        1_800,
        4_500,
        5_000,
    ),
    (
        "CARGO_BIKE",
        "Urban Arrow",
        "Family",
        1,
        "ELECTRIC_ASSIST",
        60,
        false,
        450,
        2_800,
        0,
        10_000,
    ),
];

fn csv(provider_index: usize) -> String {
    let mut out = String::from(
        "kind,make,model,registration,seats,propulsion,range_km,wheelchair_accessible,lat,lon,price_per_hour,price_per_day,price_per_lease_month,deposit\n",
    );
    for i in 0..PER_PROVIDER {
        let n = provider_index * PER_PROVIDER + i;
        let (kind, make, model, seats, propulsion, range, wav, hour, day, month, deposit) = MODELS[n % MODELS.len()];
        let town = &data::TOWNS[n % data::TOWNS.len()];
        // Spread within the town's zone, deterministically.
        let a = (n as f64 * 0.618_033_988_75).fract() * 2.0 - 1.0;
        let b = (n as f64 * 0.754_877_666_25).fract() * 2.0 - 1.0;
        let lon = town.centre.0 + a * town.half.0 * 0.8;
        let lat = town.centre.1 + b * town.half.1 * 0.8;
        let bike = kind.ends_with("BIKE");
        let registration = if bike { String::new() } else { format!("WX26D{n:03}") };
        // Prices in pounds, as the import page's template has them.
        let pounds = |p: u32| format!("{}.{:02}", p / 100, p % 100);
        let month = if month == 0 { String::new() } else { pounds(month) };
        let (hour, day, deposit) = (pounds(hour), pounds(day), pounds(deposit));
        out.push_str(&format!(
            "{kind},{make},{model},{registration},{seats},{propulsion},{range},{wav},{lat:.5},{lon:.5},{hour},{day},{month},{deposit}\n"
        ));
    }
    out
}

async fn sign_in(anon: &GraphqlClient, email: &str, password: &str) -> anyhow::Result<GraphqlClient> {
    let p = anon
        .mutate(
            "signIn",
            SIGN_IN,
            json!({"input": {"email": email, "password": password}}),
        )
        .await?;
    let token = p["token"]
        .as_str()
        .with_context(|| format!("{email} could not sign in: {}", p["userErrors"]))?;
    Ok(anon.with_token(token))
}

fn check(payload: &serde_json::Value, what: &str) -> anyhow::Result<()> {
    if let Some(code) = user_error_code(payload) {
        bail!("{what}: {code}: {}", payload["userErrors"]);
    }
    Ok(())
}

/// Seeds the demo fleet in the council.
pub async fn seed(anon: &GraphqlClient, council_id: &str, accounts: &[DemoAccount]) -> anyhow::Result<()> {
    let password_of = |email: &str| {
        accounts
            .iter()
            .find(|a| a.email == email)
            .map(|a| a.password.clone())
            .with_context(|| format!("no demo password for {email}"))
    };
    let officer = sign_in(anon, data::OFFICER_EMAIL, &password_of(data::OFFICER_EMAIL)?).await?;
    // How residents reach the council about its schemes.
    let p = officer
        .mutate(
            "updateCouncilContact",
            "mutation($c: ID!, $i: CouncilContactInput!) { updateCouncilContact(councilId: $c, input: $i) { council { id } userErrors { code message } } }",
            json!({"c": council_id, "i": {"email": "transport@westoxon.example", "phone": "01993 555000"}}),
        )
        .await?;
    check(&p, "the council's contact details")?;
    for (index, (name, email)) in data::PROVIDERS.iter().enumerate() {
        let provider = sign_in(anon, email, &password_of(email)?).await?;
        let p = provider
            .mutate(
                "applyToCouncil",
                "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { code message } } }",
                json!({"c": council_id}),
            )
            .await?;
        check(&p, &format!("{name} applying"))?;
        let provider_id = p["provider"]["id"].as_str().context("the provider's id")?.to_string();
        let p = officer
            .mutate(
                "approveProvider",
                "mutation($c: ID!, $p: ID!) { approveProvider(councilId: $c, providerId: $p) { provider { id } userErrors { code message } } }",
                json!({"c": council_id, "p": provider_id}),
            )
            .await?;
        check(&p, &format!("approving {name}"))?;
        // Where households collect the vehicles and how they reach the provider.
        let town = data::TOWNS[index % data::TOWNS.len()].name;
        let slug: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let p = provider
            .mutate(
                "updateProviderContact",
                "mutation($i: ProviderContactInput!) { updateProviderContact(input: $i) { provider { id } userErrors { code message } } }",
                json!({"i": {"pickupAddress": format!("{name} office\nMarket Square\n{town}"),
                             "phone": format!("01993 55501{index}"), "email": format!("bookings@{slug}.example")}}),
            )
            .await?;
        check(&p, &format!("{name}'s contact details"))?;
        let fleet = provider
            .query("{ me { provider { vehicles(first: 1) { totalCount } } } }", json!({}))
            .await?;
        if fleet["me"]["provider"]["vehicles"]["totalCount"].as_i64().unwrap_or(0) > 0 {
            continue;
        }
        let p = provider
            .mutate(
                "importVehicles",
                "mutation($i: ImportVehiclesInput!) { importVehicles(input: $i) { importedCount rowErrors { line field message } userErrors { code message } } }",
                json!({"i": {"format": "CSV", "csv": csv(index)}}),
            )
            .await?;
        if p["importedCount"].as_i64().unwrap_or(0) == 0 {
            bail!("importing {name}'s fleet: {} {}", p["userErrors"], p["rowErrors"]);
        }
        println!("Demo fleet of {name}: {} vehicles", p["importedCount"]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_fleets_have_unique_registrations() {
        let all: Vec<String> = (0..2)
            .flat_map(|i| super::csv(i).lines().skip(1).map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert_eq!(all.len(), 2 * super::PER_PROVIDER);
        let mut regs: Vec<&str> = all
            .iter()
            .map(|l| l.split(',').nth(3).unwrap())
            .filter(|r| !r.is_empty())
            .collect();
        let n = regs.len();
        regs.sort();
        regs.dedup();
        assert_eq!(regs.len(), n);
    }
}
