-- Events about bookings for the gateway's notifications (roundabout_api::events).
--
-- A trigger writes one event whenever a booking's status becomes CONFIRMED,
-- CANCELLED or COMPLETED, in the same transaction as the change, whichever
-- path changed it (the saga, the lifecycle job, a cancellation). The
-- gateway reads the events not yet taken and acknowledges them
-- (`taken_at`); taken events are purged with the delivered outbox messages.
create table events (
    seq bigserial primary key,
    id uuid not null default gen_random_uuid() constraint events_id_key unique,
    kind text not null,
    payload jsonb not null,
    occurred_at timestamptz not null default now(),
    taken_at timestamptz
);
create index events_untaken_idx on events (seq) where taken_at is null;
create index events_taken_idx on events (taken_at) where taken_at is not null;

create function bookings_publish_status() returns trigger
language plpgsql as $$
begin
    if new.status is distinct from old.status and new.status in ('CONFIRMED', 'CANCELLED', 'COMPLETED') then
        insert into events (kind, payload) values (
            'BOOKING_' || new.status,
            jsonb_build_object(
                'booking_id', new.id,
                'household_id', new.household_id,
                'council_id', new.council_id,
                'provider_id', new.provider_id,
                'vehicle_id', new.vehicle_id,
                'kind', new.kind,
                'lease_months', new.lease_months,
                'start_at', lower(new.period),
                'end_at', upper(new.period),
                'status', new.status,
                'currency', new.currency,
                'base_pence', new.base_pence,
                'subsidy_pence', new.subsidy_pence,
                'first_base_pence', new.first_base_pence,
                'first_subsidy_pence', new.first_subsidy_pence,
                'payment_method', new.payment_method,
                'refund_pence', new.refund_pence
            )
        );
    end if;
    return new;
end
$$;

create trigger bookings_publish_status after update of status on bookings
    for each row execute function bookings_publish_status();
