//! Identity and councils across the gateway, eligibility and inventory.

use crate::support::gql::councils::{
    council_boundary, council_input, councils, create_council, two_councils, CouncilBoundary, Councils, CreateCouncil,
    TwoCouncils,
};
use crate::support::gql::identity::{me, sign_up_household, sign_up_provider, Me, SignUpHousehold, SignUpProvider};
use crate::support::gql::{field, first_error_code, Payload, Typed};
use crate::support::*;
use roundabout::graphql_client::GraphqlClient;
use serde_json::{json, Value};

use crate::support::eligibility::count;

async fn council_codes(client: &GraphqlClient) -> Vec<String> {
    client
        .data::<Councils>(councils::Variables)
        .await
        .councils
        .into_iter()
        .map(|c| c.code)
        .collect()
}

async fn sign_up_household(
    client: &GraphqlClient,
    input: sign_up_household::SignUpHouseholdInput,
) -> sign_up_household::SignUpHouseholdSignUpHousehold {
    client
        .data::<SignUpHousehold>(sign_up_household::Variables { input })
        .await
        .sign_up_household
}

async fn sign_up_provider(
    client: &GraphqlClient,
    email: &str,
    organisation: &str,
) -> sign_up_provider::SignUpProviderSignUpProvider {
    client
        .data::<SignUpProvider>(sign_up_provider::Variables {
            input: sign_up_provider::SignUpProviderInput {
                email: email.into(),
                password: PASSWORD.into(),
                organisation_name: organisation.into(),
            },
        })
        .await
        .sign_up_provider
}

async fn create_council(
    client: &GraphqlClient,
    input: create_council::CreateCouncilInput,
) -> create_council::CreateCouncilCreateCouncil {
    client
        .data::<CreateCouncil>(create_council::Variables { input })
        .await
        .create_council
}

#[tokio::test]
async fn an_admin_creates_a_council_that_everyone_can_list() {
    let stack = Stack::start().await;
    let (id, officer) = stack.council("WOX", "officer@wox.test").await;

    let all = stack.anon.data::<Councils>(councils::Variables).await.councils;
    assert_eq!(
        all,
        vec![councils::CouncilsCouncils {
            id: id.clone(),
            name: "Council WOX".into(),
            code: "WOX".into()
        }]
    );
    let one = stack
        .anon
        .data::<CouncilBoundary>(council_boundary::Variables { id: id.clone() })
        .await
        .council
        .unwrap();
    assert_eq!(one.boundary["type"], "Polygon");
    let none = stack
        .anon
        .data::<TwoCouncils>(two_councils::Variables {
            a: "00000000-0000-0000-0000-000000000000".into(),
            b: "nonsense".into(),
        })
        .await;
    assert_eq!(none, two_councils::ResponseData { a: None, b: None });

    let me = officer.data::<Me>(me::Variables).await.me.unwrap();
    assert_eq!(
        (me.email.as_str(), me.roles, me.council),
        (
            "officer@wox.test",
            vec![me::Role::Officer],
            Some(me::MeMeCouncil {
                id: id.clone(),
                code: "WOX".into()
            })
        )
    );
}

#[tokio::test]
async fn households_and_providers_sign_up_and_sign_in() {
    let stack = Stack::start().await;
    let (council, _) = stack.council("WOX", "officer@wox.test").await;

    let p = sign_up_household(
        &stack.anon,
        sign_up_household::SignUpHouseholdInput {
            email: "Resident@Example.org".into(),
            password: PASSWORD.into(),
            council_id: council.clone(),
            display_name: Some("The Ahmeds".into()),
        },
    )
    .await;
    p.assert_ok();
    let viewer = p.viewer.unwrap();
    assert_eq!(viewer.email, "resident@example.org");
    assert_eq!(viewer.roles, vec![sign_up_household::Role::Household]);
    assert_eq!(viewer.household.unwrap().council.id, council);
    // The household exists in eligibility, in its council.
    let h: (String,) = sqlx::query_as("select council_id::text from households")
        .fetch_one(&stack.eligibility_pool)
        .await
        .unwrap();
    assert_eq!(h.0, council);

    let p = sign_up_provider(&stack.anon, "fleet@club.test", "Cotswold Car Club").await;
    let viewer = p.viewer.unwrap();
    assert_eq!(viewer.roles, vec![sign_up_provider::Role::Provider]);
    assert_eq!(viewer.provider.unwrap().name, "Cotswold Car Club");
    assert_eq!(count(&stack.inventory_pool, "providers").await, 1);

    let token = sign_in(&stack.anon, "fleet@club.test", PASSWORD).await;
    let me = stack.anon.with_token(token).data::<Me>(me::Variables).await.me.unwrap();
    assert_eq!(
        (me.provider, me.household),
        (
            Some(me::MeMeProvider {
                name: "Cotswold Car Club".into()
            }),
            None
        )
    );
}

#[tokio::test]
async fn bad_sign_ups_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let (council, _) = stack.council("WOX", "officer@wox.test").await;
    stack.household(&council, "taken@example.org").await;
    let users_before = count(&stack.gateway_pool, "users").await;
    let households_before = count(&stack.eligibility_pool, "households").await;

    let input = |email: &str, password: &str, council_id: &str| sign_up_household::SignUpHouseholdInput {
        email: email.into(),
        password: password.into(),
        council_id: council_id.into(),
        display_name: None,
    };
    let cases = [
        (
            input("not-an-email", PASSWORD, &council),
            "INVALID_INPUT",
            field(&["input", "email"]),
        ),
        (
            input("a@example.org", "short", &council),
            "INVALID_INPUT",
            field(&["input", "password"]),
        ),
        (
            input("TAKEN@example.org", PASSWORD, &council),
            "EMAIL_TAKEN",
            field(&["input", "email"]),
        ),
        (
            input("b@example.org", PASSWORD, "6f1c1d43-6b51-4bb1-9f0c-2a8d1f4c9e11"),
            "NOT_FOUND",
            field(&["input", "councilId"]),
        ),
        (
            input("c@example.org", PASSWORD, "nonsense"),
            "NOT_FOUND",
            field(&["input", "councilId"]),
        ),
    ];
    for (input, code, field) in cases {
        let p = sign_up_household(&stack.anon, input.clone()).await;
        assert_eq!(p.code(), code, "{input:?}");
        assert_eq!(p.user_errors()[0].field, field, "{input:?}");
        assert_eq!(p.token, None);
    }
    let p = sign_up_provider(&stack.anon, "taken@example.org", "X").await;
    assert_eq!(p.code(), "EMAIL_TAKEN");
    let p = sign_up_provider(&stack.anon, "new@example.org", "  ").await;
    assert_eq!(p.code(), "INVALID_INPUT");

    assert_eq!(count(&stack.gateway_pool, "users").await, users_before);
    assert_eq!(count(&stack.eligibility_pool, "households").await, households_before);
    assert_eq!(count(&stack.inventory_pool, "providers").await, 0);
}

#[tokio::test]
async fn bad_councils_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    stack.council("WOX", "officer@wox.test").await;
    let bad_boundaries = [
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}),
        json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 91], [1, 1], [0, 0]]]}),
        json!({"type": "Point", "coordinates": [0, 0]}),
        json!({}),
    ];
    for boundary in bad_boundaries {
        let mut input = council_input("NEW", "new-officer@example.org");
        input.boundary = boundary.clone();
        let p = create_council(&stack.admin, input).await;
        assert_eq!(p.code(), "INVALID_GEOMETRY", "{boundary}");
        assert_eq!(p.user_errors()[0].field, field(&["input", "boundary"]));
        assert_eq!(p.council, None);
    }
    let p = create_council(&stack.admin, council_input("wox", "other@example.org")).await;
    assert_eq!(p.code(), "CODE_TAKEN");
    let p = create_council(&stack.admin, council_input("NEW", "officer@wox.test")).await;
    assert_eq!(p.code(), "EMAIL_TAKEN");
    let mut short = council_input("NEW", "x@example.org");
    short.officer_password = "short".into();
    let p = create_council(&stack.admin, short).await;
    assert_eq!(
        p.user_errors().first().and_then(|e| e.field.clone()),
        field(&["input", "officerPassword"])
    );

    assert_eq!(council_codes(&stack.anon).await, vec!["WOX".to_string()]);
    assert_eq!(
        count(&stack.gateway_pool, "users").await,
        2,
        "the admin and the first officer"
    );
}

#[tokio::test]
async fn only_admins_create_councils() {
    let stack = Stack::start().await;
    let (council, officer) = stack.council("WOX", "officer@wox.test").await;
    let household = stack.household(&council, "resident@example.org").await;
    let input = create_council::Variables {
        input: council_input("NEW", "x@example.org"),
    };

    let errors = stack.anon.run::<CreateCouncil>(input.clone()).await.unwrap_err();
    assert_eq!(first_error_code(&errors), "UNAUTHENTICATED");
    for client in [&household, &officer] {
        let v = client.response::<CreateCouncil>(input.clone()).await;
        assert_eq!(first_error_code(v.errors.as_deref().unwrap_or_default()), "FORBIDDEN");
        assert_eq!(v.data, None);
    }
    assert_eq!(council_codes(&stack.anon).await.len(), 1);
}

#[tokio::test]
async fn services_refuse_calls_that_do_not_come_through_the_gateway() {
    let stack = Stack::start().await;
    let http = reqwest::Client::new();
    for (url, path) in [
        (&stack.eligibility_url, "/internal/councils"),
        (&stack.inventory.url, "/internal/providers/batch"),
    ] {
        let res = http
            .post(format!("{url}{path}"))
            .json(&json!({"ids": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    }
}
