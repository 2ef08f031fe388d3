//! What one request carries: its session and its own DataLoaders.

use async_graphql::Context;

use crate::{principal::Session, schema::loaders::Loaders, services::Services};

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
