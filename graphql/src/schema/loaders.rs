//! Per-request DataLoaders: every by-id read goes through one, so a list of
//! objects resolves its councils or providers in one batch call. They are
//! built for each request with that request's caller, never shared.

use roundabout_api::ErrorCode;
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use roundabout_support::{
    client::{ClientError, ServiceClient},
    internal_auth::Caller,
};
use serde::Deserialize;
use uuid::Uuid;

use roundabout_api::routes;
pub use roundabout_api::HasId;
use roundabout_api::{
    eligibility::{CouncilData, SchemeData, ZoneData},
    inventory::{ProviderData, VehicleData},
    payments::{PaymentData, PayoutsData},
    BatchIn,
};

/// Loads rows by id from a service's `POST …/batch` endpoint.
pub struct BatchLoader<T> {
    client: ServiceClient,
    path: &'static str,
    caller: Caller,
    _row: std::marker::PhantomData<fn() -> T>,
}

impl<T> Loader<Uuid> for BatchLoader<T>
where
    T: HasId + for<'de> Deserialize<'de> + Clone + Send + Sync + 'static,
{
    type Value = T;
    type Error = Arc<ClientError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, T>, Self::Error> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let rows: Vec<T> = self
                .client
                .post(self.path, &BatchIn { ids: chunk.to_vec() }, &self.caller)
                .await
                .map_err(Arc::new)?;
            out.extend(rows.into_iter().map(|r| (r.id(), r)));
        }
        Ok(out)
    }
}

/// How long a loader waits for more keys before calling the service.
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(5);

/// The loaders of one request.
pub struct Loaders {
    pub councils: DataLoader<BatchLoader<CouncilData>>,
    pub providers: DataLoader<BatchLoader<ProviderData>>,
    pub vehicles: DataLoader<BatchLoader<VehicleData>>,
    pub zones: DataLoader<BatchLoader<ZoneData>>,
    pub schemes: DataLoader<BatchLoader<SchemeData>>,
    pub payouts: DataLoader<BatchLoader<PayoutsData>>,
    pub payments: DataLoader<BatchLoader<PaymentData>>,
}

impl Loaders {
    pub fn new(services: &crate::services::Services, caller: &Caller) -> Self {
        fn loader<T>(client: &ServiceClient, path: &'static str, caller: &Caller) -> BatchLoader<T> {
            BatchLoader {
                client: client.clone(),
                path,
                caller: caller.clone(),
                _row: std::marker::PhantomData,
            }
        }
        Self {
            councils: DataLoader::new(
                loader(&services.eligibility, routes::eligibility::COUNCILS_BATCH, caller),
                roundabout_support::trace::spawn,
            ),
            // Lists of vehicles (a page of bookings, an import) and their
            // providers must batch even on a busy machine, where resolvers
            // may be polled more than the default 1 ms apart.
            providers: DataLoader::new(
                loader(&services.inventory, routes::inventory::PROVIDERS_BATCH, caller),
                roundabout_support::trace::spawn,
            )
            .delay(BATCH_DELAY),
            vehicles: DataLoader::new(
                loader(&services.inventory, routes::inventory::VEHICLES_BATCH, caller),
                roundabout_support::trace::spawn,
            )
            .delay(BATCH_DELAY),
            zones: DataLoader::new(
                loader(&services.eligibility, routes::eligibility::ZONES_BATCH, caller),
                roundabout_support::trace::spawn,
            ),
            schemes: DataLoader::new(
                loader(&services.eligibility, routes::eligibility::SCHEMES_BATCH, caller),
                roundabout_support::trace::spawn,
            ),
            payouts: DataLoader::new(
                loader(&services.payments, routes::payments::PROVIDERS_PAYOUTS_BATCH, caller),
                roundabout_support::trace::spawn,
            ),
            payments: DataLoader::new(
                loader(&services.payments, routes::payments::PAYMENTS_BATCH, caller),
                roundabout_support::trace::spawn,
            )
            .delay(BATCH_DELAY),
        }
    }
}

/// Converts a loader error for a resolver (logged; the client sees no detail).
pub fn load_error(e: Arc<ClientError>) -> async_graphql::Error {
    tracing::error!(error = %e, "batch load failed");
    crate::schema::errors::coded(
        ErrorCode::ServiceUnavailable,
        "A part of Roundabout is not answering. Please try again shortly.",
    )
}
