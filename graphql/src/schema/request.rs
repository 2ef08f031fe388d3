//! What one request carries: its session and its own DataLoaders.

use async_graphql::Context;

use uuid::Uuid;

use crate::{
    principal::Session,
    schema::{errors, loaders::Loaders},
    services::Services,
};

pub struct RequestCtx {
    pub session: Session,
    pub loaders: Loaders,
}

impl RequestCtx {
    pub fn new(session: Session, services: &Services) -> Self {
        let caller = session.caller();
        Self {
            loaders: Loaders::new(services, &caller),
            session,
        }
    }

    /// The request's context; every request is given one by the HTTP layer.
    pub fn get<'a>(ctx: &'a Context<'_>) -> &'a Self {
        ctx.data_unchecked::<Self>()
    }
}

/// The signed-in user's provider, or the contract's error.
pub fn provider_member(ctx: &Context<'_>) -> async_graphql::Result<Uuid> {
    let p = RequestCtx::get(ctx)
        .session
        .0
        .as_ref()
        .ok_or_else(errors::unauthenticated)?;
    p.provider_id
        .ok_or_else(|| errors::forbidden("Only members of a provider organisation may manage vehicles"))
}
