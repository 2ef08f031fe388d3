//! The public GraphQL schema: one `MergedObject` part per domain.

pub mod acting;
pub mod assisted;
pub mod bookings;
pub mod checker;
pub mod contacts;
pub mod councils;
pub mod errors;
pub mod geo;
pub mod households;
pub mod identity;
pub mod ids;
pub mod imports;
pub mod loaders;
pub mod notifications;
pub mod offers;
pub mod pagination;
pub mod payouts;
pub mod postcodes;
pub mod privacy;
pub mod providers;
pub mod reports;
pub mod request;
pub mod retention;
pub mod scalars;
pub mod scheme_mutations;
pub mod schemes;
pub mod simulation;
pub mod vehicles;
pub mod zones;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::{config::Limits, services::Gateway};

#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    councils::CouncilQuery,
    vehicles::VehicleQuery,
    households::HouseholdQuery,
    simulation::SimulationQuery,
    bookings::BookingQuery,
    offers::OfferQuery,
    reports::ReportQuery,
    postcodes::PostcodeQuery,
    checker::CheckerQuery,
    privacy::PrivacyQuery,
    notifications::NotificationQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    councils::CouncilMutation,
    providers::ProviderMutation,
    contacts::ContactMutation,
    vehicles::VehicleMutation,
    imports::ImportMutation,
    zones::ZoneMutation,
    scheme_mutations::SchemeMutation,
    households::HouseholdMutation,
    payouts::PayoutMutation,
    bookings::BookingMutation,
    postcodes::PostcodeMutation,
    privacy::PrivacyMutation,
    retention::RetentionMutation,
    notifications::NotificationMutation,
);

pub type GatewaySchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its limits; introspection only outside production.
pub fn build(gateway: Option<Gateway>, limits: &Limits, introspection: bool) -> GatewaySchema {
    let mut b = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(10);
    if !introspection {
        b = b.disable_introspection();
    }
    if let Some(g) = gateway {
        b = b.data(g);
    }
    b.finish()
}

/// The schema that answers introspection-only documents where
/// introspection is on (`crate::http`): it can run nothing but
/// introspection, with the ordinary complexity limit and a depth limit the
/// standard introspection query fits.
pub fn build_introspection(limits: &Limits) -> GatewaySchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .introspection_only()
        .limit_depth(crate::http::INTROSPECTION_MAX_DEPTH.max(limits.max_depth))
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(10)
        .finish()
}

/// The schema's SDL, as committed in `graphql/schema.graphql`.
pub fn sdl() -> String {
    build(None, &Limits::default(), true).sdl()
}
