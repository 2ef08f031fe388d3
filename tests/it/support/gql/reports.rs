//! Reports: `support/graphql/reports.graphql`.

use super::*;

operations! {
    "tests/it/support/graphql/reports.graphql":
    CouncilReport,
    ReportTotals,
    ReportBreakdown,
}
