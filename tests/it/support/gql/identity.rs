//! Accounts: `support/graphql/identity/*.graphql`, one operation a document
//! (the gateway allows one sign-in or sign-up in a request's document).

operations! {
    "tests/it/support/graphql/identity/sign_in.graphql":
    SignIn,
}

operations! {
    "tests/it/support/graphql/identity/sign_up_household.graphql":
    SignUpHousehold,
}

operations! {
    "tests/it/support/graphql/identity/sign_up_provider.graphql":
    SignUpProvider,
}

operations! {
    "tests/it/support/graphql/identity/me.graphql":
    Me,
}

super::payloads!(
    sign_in::SignInSignIn,
    sign_up_household::SignUpHouseholdSignUpHousehold,
    sign_up_provider::SignUpProviderSignUpProvider,
);
