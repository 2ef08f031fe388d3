-- The officer's report reads a council's bookings made in a period (its
-- totals, by scheme, by zone, over time) and the subsidy of those made
-- before it. Every column those queries use is in this index, so each is an
-- index-only scan of the period's entries rather than a heap fetch per
-- booking (docs/PERFORMANCE.md, "Web pages"). It replaces the plain
-- (council_id, created_at) index.
create index bookings_report_idx on bookings (council_id, created_at)
    include (status, payment_status, household_id, scheme_id, zone_ids, base_pence, subsidy_pence,
             first_base_pence, first_subsidy_pence, refund_pence);
drop index bookings_council_idx;
