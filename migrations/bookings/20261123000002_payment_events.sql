-- Payment events received from the payments service (an inbox: each
-- message once, by its idempotency key), consumed by the booking saga.
create table payment_events (
    idempotency_key text primary key,
    booking_id uuid not null,
    status text not null,
    failure_code text,
    received_at timestamptz not null default now(),
    consumed_at timestamptz
);
create index payment_events_booking_idx on payment_events (booking_id, received_at);
