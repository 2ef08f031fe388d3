-- Bookings: the reservation calendar and the saga's step record.
--
-- A booking holds its vehicle's period while `slot_held` is true; the
-- exclusion constraint makes double-booking impossible whatever the
-- concurrency (half-open `[start, end)` ranges, so back-to-back periods
-- do not overlap). `step` is the next thing the saga must do and is
-- written in the same transaction as every state change, so this table
-- is the saga's outbox.
create extension if not exists btree_gist;

create table bookings (
    id uuid primary key,
    household_id uuid not null,
    council_id uuid not null,
    provider_id uuid not null,
    vehicle_id uuid not null,
    kind text not null constraint bookings_kind_check check (kind in ('HIRE', 'LEASE')),
    lease_months integer constraint bookings_lease_months_check check (lease_months between 1 and 36),
    period tstzrange not null constraint bookings_period_check check (not isempty(period) and lower_inc(period) and not upper_inc(period)),
    status text not null constraint bookings_status_check check (status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE', 'COMPLETED', 'CANCELLED', 'EXPIRED', 'FAILED')),
    slot_held boolean not null default true,
    -- The saga: the next step, what to end as, and when to try again.
    step text not null,
    outcome text,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    claimed_until timestamptz,
    last_error text,
    failure_code text,
    failure_message text,
    -- Money, in pence: the whole booking, and the first payment (a lease's first month).
    currency text not null default 'GBP',
    base_pence bigint not null constraint bookings_base_check check (base_pence >= 0),
    subsidy_pence bigint not null constraint bookings_subsidy_check check (subsidy_pence between 0 and base_pence),
    first_base_pence bigint not null,
    first_subsidy_pence bigint not null,
    scheme_id uuid,
    scheme_version integer,
    payment_method text,
    payment_status text,
    -- Idempotency of `bookVehicle`, per household.
    idempotency_key text not null,
    request_digest text not null,
    -- Cancellation.
    cancelled_at timestamptz,
    cancel_reason text,
    refund_pence bigint,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    list_seq bigserial not null,
    constraint bookings_idempotency_key unique (household_id, idempotency_key),
    constraint bookings_no_overlap exclude using gist (vehicle_id with =, period with &&) where (slot_held)
);
create index bookings_due_idx on bookings (next_attempt_at) where step <> 'DONE';
create index bookings_household_idx on bookings (household_id, list_seq);
create index bookings_provider_idx on bookings (provider_id, list_seq);
create index bookings_council_idx on bookings (council_id, created_at);
create index bookings_start_idx on bookings (lower(period)) where status = 'CONFIRMED';
create index bookings_end_idx on bookings (upper(period)) where status = 'ACTIVE';
