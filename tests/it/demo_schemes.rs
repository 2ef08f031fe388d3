//! The demo seed's zones, scheme and profiles against the whole stack:
//! the main journey's scheme is published, Ahmed qualifies, Brown and
//! Clarke do not, and seeding twice adds nothing.

use crate::support::eligibility::count;
use crate::support::gql::households::{my_eligibility, MyEligibility};
use crate::support::gql::schemes::{public_schemes, PublicSchemes};
use crate::support::gql::Typed;
use crate::support::*;
use roundabout::up::LocalSecrets;

#[tokio::test]
async fn the_demo_scheme_is_seeded_once_and_decides_as_the_journey_says() {
    let stack = Stack::start().await;
    let dir = std::env::temp_dir().join(format!("roundabout-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let secrets = LocalSecrets {
        internal_keys: Default::default(),
        token_key: String::new(),
        admin_email: ADMIN_EMAIL.into(),
        admin_password: ADMIN_PASSWORD.into(),
        web_session_key: String::new(),
    };
    let accounts = roundabout::demo::seed(&stack.gateway_url, &secrets, &dir)
        .await
        .unwrap();
    let tables = ["zones", "schemes", "scheme_test_cases", "household_profiles"];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&stack.eligibility_pool, t).await);
    }
    assert_eq!(before, vec![3, 1, 3, 3]);
    roundabout::demo::seed(&stack.gateway_url, &secrets, &dir)
        .await
        .unwrap();
    for (t, n) in tables.iter().zip(&before) {
        assert_eq!(count(&stack.eligibility_pool, t).await, *n, "{t}");
    }

    let councils = stack
        .anon
        .data::<PublicSchemes>(public_schemes::Variables)
        .await
        .councils;
    let schemes: Vec<_> = councils[0]
        .schemes
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                &s.status,
                s.zones.iter().map(|z| z.name.as_str()).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        schemes,
        vec![(
            "EV lease support",
            &public_schemes::SchemeStatus::Active,
            vec!["Witney"]
        )]
    );
    for (email, expect) in [
        ("ahmed@households.example", true),
        ("brown@households.example", false),
        ("clarke@households.example", false),
    ] {
        let password = &accounts.iter().find(|a| a.email == email).unwrap().password;
        let client = stack.anon.with_token(sign_in(&stack.anon, email, password).await);
        let d = client.data::<MyEligibility>(my_eligibility::Variables).await;
        assert_eq!(
            d.me.unwrap().household.unwrap().eligibility[0].eligible,
            expect,
            "{email}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
