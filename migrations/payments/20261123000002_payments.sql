-- Payments per booking, processor customers and connected accounts, the
-- processor calls made (idempotency keys stored before each call), the
-- double-entry ledger, the webhook inbox, lease instalments, provider payouts
-- and per-council platform fees.

create table payments (
    booking_id uuid primary key,
    household_id uuid not null,
    provider_id uuid not null,
    council_id uuid not null,
    kind text not null constraint payments_kind_check check (kind in ('HIRE', 'LEASE')),
    method text not null constraint payments_method_check check (method in ('CARD', 'INVOICE', 'NONE')),
    status text not null constraint payments_status_check check (status in (
        'PENDING', 'REQUIRES_ACTION', 'AUTHORISED', 'CAPTURED', 'PARTIALLY_REFUNDED',
        'REFUNDED', 'FAILED', 'CANCELLED', 'NOT_REQUIRED')),
    currency text not null default 'GBP',
    -- What this booking's first payment covers: a hire, or a lease's first month.
    base_pence bigint not null constraint payments_base_check check (base_pence >= 0),
    subsidy_pence bigint not null constraint payments_subsidy_check check (subsidy_pence >= 0),
    amount_pence bigint not null constraint payments_amount_check check (amount_pence >= 0),
    platform_fee_pence bigint not null constraint payments_fee_check check (platform_fee_pence >= 0),
    refunded_pence bigint not null default 0,
    payment_method text,
    stripe_customer text,
    stripe_intent_id text constraint payments_intent_key unique,
    client_secret text,
    destination_account text,
    failure_code text,
    failure_message text,
    -- A digest of the charge request, to tell a retry from a different request.
    request_digest text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint payments_split_check check (amount_pence + subsidy_pence = base_pence),
    constraint payments_refund_check check (refunded_pence between 0 and amount_pence)
);
create index payments_status_idx on payments (status, updated_at);

create table stripe_customers (
    household_id uuid primary key,
    customer_id text not null
);

create table connected_accounts (
    provider_id uuid primary key,
    account_id text not null constraint connected_accounts_account_key unique,
    charges_enabled boolean not null default false,
    payouts_enabled boolean not null default false,
    updated_at timestamptz not null default now()
);

-- Every processor write, recorded with its idempotency key before it is made.
create table stripe_calls (
    idempotency_key text primary key,
    booking_id uuid,
    operation text not null,
    created_at timestamptz not null default now(),
    completed_at timestamptz,
    result_id text
);

create table ledger_transactions (
    id bigserial primary key,
    booking_id uuid,
    kind text not null,
    -- One transaction per event, however often it is recorded.
    idempotency_key text not null constraint ledger_transactions_key unique,
    currency text not null default 'GBP',
    created_at timestamptz not null default now()
);

create table ledger_entries (
    id bigserial primary key,
    transaction_id bigint not null constraint ledger_entries_transaction_fk references ledger_transactions (id),
    account text not null,
    amount_pence bigint not null constraint ledger_entries_nonzero check (amount_pence <> 0)
);
create index ledger_entries_transaction_idx on ledger_entries (transaction_id);
create index ledger_entries_account_idx on ledger_entries (account);

-- A transaction must balance when its database transaction commits.
create function ledger_check_balance() returns trigger language plpgsql as $$
declare
    total bigint;
begin
    select coalesce(sum(amount_pence), 0) into total from ledger_entries where transaction_id = new.transaction_id;
    if total <> 0 then
        raise exception 'ledger transaction % does not balance (%)', new.transaction_id, total
            using errcode = 'check_violation', constraint = 'ledger_entries_balance';
    end if;
    return null;
end;
$$;
create constraint trigger ledger_entries_balance
    after insert or update on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_check_balance();

-- The ledger is append-only.
create function ledger_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the ledger is append-only' using errcode = 'check_violation';
end;
$$;
create trigger ledger_entries_append_only before update or delete on ledger_entries
    for each row execute function ledger_append_only();
create trigger ledger_transactions_append_only before update or delete on ledger_transactions
    for each row execute function ledger_append_only();

create table stripe_events (
    id text primary key,
    type text not null,
    object_id text,
    received_at timestamptz not null default now(),
    processed_at timestamptz,
    last_error text
);

-- A lease's months after the first, each billed exactly once.
create table lease_instalments (
    booking_id uuid not null constraint lease_instalments_payment_fk references payments (booking_id),
    month integer not null constraint lease_instalments_month_check check (month between 2 and 36),
    due_at timestamptz not null,
    base_pence bigint not null,
    subsidy_pence bigint not null,
    amount_pence bigint not null,
    platform_fee_pence bigint not null,
    status text not null default 'SCHEDULED'
        constraint lease_instalments_status_check check (status in ('SCHEDULED', 'PAID', 'FAILED', 'CANCELLED')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    intent_id text,
    last_error text,
    paid_at timestamptz,
    primary key (booking_id, month)
);
create index lease_instalments_due_idx on lease_instalments (next_attempt_at) where status in ('SCHEDULED', 'FAILED');

-- What a provider is owed for a completed booking, paid once its account can receive it.
create table payouts (
    booking_id uuid primary key,
    provider_id uuid not null,
    amount_pence bigint not null constraint payouts_amount_check check (amount_pence >= 0),
    status text not null default 'DUE' constraint payouts_status_check check (status in ('DUE', 'PAID')),
    transfer_id text,
    created_at timestamptz not null default now(),
    paid_at timestamptz
);

create table council_fees (
    council_id uuid primary key,
    basis_points integer not null constraint council_fees_range check (basis_points between 0 and 5000)
);
