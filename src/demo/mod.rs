//! `up --demo`: seeds the West Oxfordshire demo through the public API, once.
//!
//! Every step is idempotent: an existing council (by code) or account (by
//! email) is kept, so a second `up --demo` changes nothing. Demo passwords are
//! generated on first use and kept in the data directory; none is written in
//! the code.

pub mod data;
pub mod fleet;
pub mod schemes;

use roundabout_api::ErrorCode;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    graphql_client::{user_error_code, GraphqlClient},
    up::{random_secret, write_private, LocalSecrets},
};

/// A demo account to print.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub role: String,
    pub email: String,
    pub password: String,
}

fn load_or_create_accounts(dir: &Path) -> anyhow::Result<Vec<DemoAccount>> {
    let path = dir.join("demo-accounts.json");
    if let Ok(raw) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&raw).with_context(|| format!("reading {}", path.display()));
    }
    let mut accounts = vec![DemoAccount {
        role: "officer".into(),
        email: data::OFFICER_EMAIL.into(),
        password: random_secret(16),
    }];
    for (_, email) in data::PROVIDERS {
        accounts.push(DemoAccount {
            role: "provider".into(),
            email: (*email).into(),
            password: random_secret(16),
        });
    }
    for (_, email) in data::HOUSEHOLDS {
        accounts.push(DemoAccount {
            role: "household".into(),
            email: (*email).into(),
            password: random_secret(16),
        });
    }
    write_private(&path, &serde_json::to_string_pretty(&accounts)?)?;
    Ok(accounts)
}

const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) { token userErrors { code message } } }";

/// Seeds the demo through the gateway at `base`; returns the demo accounts.
pub async fn seed(base: &str, secrets: &LocalSecrets, dir: &Path) -> anyhow::Result<Vec<DemoAccount>> {
    let accounts = load_or_create_accounts(dir)?;
    let password_of = |email: &str| {
        accounts
            .iter()
            .find(|a| a.email == email)
            .map(|a| a.password.clone())
            .expect("every demo email has an account")
    };
    let anon = GraphqlClient::new(base);
    let signed = anon
        .mutate(
            "signIn",
            SIGN_IN,
            json!({"input": {"email": secrets.admin_email, "password": secrets.admin_password}}),
        )
        .await?;
    let Some(token) = signed["token"].as_str() else {
        bail!("the admin could not sign in: {}", signed["userErrors"]);
    };
    let admin = anon.with_token(token);

    let councils = anon.query("{ councils { id code } }", json!({})).await?;
    let existing = councils["councils"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["code"] == data::COUNCIL_CODE)
        .and_then(|c| c["id"].as_str().map(str::to_string));
    let council_id = match existing {
        Some(id) => id,
        None => {
            let p = admin
                .mutate(
                    "createCouncil",
                    "mutation($input: CreateCouncilInput!) { createCouncil(input: $input) { council { id } userErrors { code message } } }",
                    json!({"input": {
                        "name": "West Oxfordshire",
                        "code": data::COUNCIL_CODE,
                        "boundary": data::boundary(),
                        "officerEmail": data::OFFICER_EMAIL,
                        "officerPassword": password_of(data::OFFICER_EMAIL),
                    }}),
                )
                .await?;
            p["council"]["id"]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("creating the council: {}", p["userErrors"]))?
        }
    };
    println!("Demo council West Oxfordshire: {council_id}");

    for (name, email) in data::PROVIDERS {
        let p = anon
            .mutate(
                "signUpProvider",
                "mutation($input: SignUpProviderInput!) { signUpProvider(input: $input) { token userErrors { code message } } }",
                json!({"input": {"email": email, "password": password_of(email), "organisationName": name}}),
            )
            .await?;
        ensure_created_or_existing(&p, email)?;
    }
    for (name, email) in data::HOUSEHOLDS {
        let p = anon
            .mutate(
                "signUpHousehold",
                "mutation($input: SignUpHouseholdInput!) { signUpHousehold(input: $input) { token userErrors { code message } } }",
                json!({"input": {"email": email, "password": password_of(email), "councilId": council_id, "displayName": name}}),
            )
            .await?;
        ensure_created_or_existing(&p, email)?;
    }
    fleet::seed(&anon, &council_id, &accounts).await?;
    schemes::seed(&anon, &council_id, &accounts).await?;
    Ok(accounts)
}

fn ensure_created_or_existing(payload: &serde_json::Value, email: &str) -> anyhow::Result<()> {
    match user_error_code(payload).as_deref().map(str::parse::<ErrorCode>) {
        None | Some(Ok(ErrorCode::EmailTaken)) => Ok(()),
        Some(_) => bail!("signing up {email}: {}", payload["userErrors"]),
    }
}
