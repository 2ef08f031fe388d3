-- Retention: each council's own periods for the kinds of record it decides
-- on (the defaults are configuration), and indexes that let the purges find
-- old rows without scanning whole tables.
create table council_retention (
    council_id uuid not null constraint council_retention_council_fk references councils (id),
    kind text not null constraint council_retention_kind_check check (kind in (
        'ELIGIBILITY_DECISIONS', 'PROFILE_READS', 'ASSISTED_ACTIONS', 'ABANDONED_BOOKINGS')),
    -- Bounded again by the service per kind (roundabout_api::retention).
    days integer not null constraint council_retention_days_check check (days between 1 and 3653),
    updated_at timestamptz not null default now(),
    -- Who chose it, for the record.
    updated_by uuid,
    primary key (council_id, kind)
);

create index eligibility_decisions_decided_idx on eligibility_decisions (decided_at);
create index profile_reads_read_idx on profile_reads (read_at);
create index outbox_delivered_idx on outbox (delivered_at) where delivered_at is not null;
create index outbox_dead_idx on outbox (dead_at) where dead_at is not null;
