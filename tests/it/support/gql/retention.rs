//! Councils' retention periods: `support/graphql/retention.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/retention.graphql":
    CouncilRetention,
    UpdateCouncilRetention,
}

super::payloads!(update_council_retention::UpdateCouncilRetentionUpdateCouncilRetention);
