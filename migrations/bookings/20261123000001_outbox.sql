-- The outbox every service relays from.
create table outbox (
    id bigserial primary key,
    destination text not null,
    path text not null,
    payload jsonb not null,
    idempotency_key text not null constraint outbox_idempotency_key_key unique,
    created_at timestamptz not null default now(),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    delivered_at timestamptz,
    dead_at timestamptz
);
create index outbox_due_idx on outbox (next_attempt_at) where delivered_at is null and dead_at is null;
