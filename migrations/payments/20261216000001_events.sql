-- Events for the gateway's notifications (roundabout_api::events; the same
-- table as in bookings): a lease's monthly instalment taken, or failed,
-- written by a trigger in the same transaction as the instalment's change.
-- A failure is announced once, when it first fails; a retry that then
-- succeeds announces the payment.
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

create function lease_instalments_publish() returns trigger
language plpgsql as $$
declare
    p payments;
begin
    if new.status is distinct from old.status and new.status in ('PAID', 'FAILED') then
        select * into p from payments where booking_id = new.booking_id;
        insert into events (kind, payload) values (
            'LEASE_INSTALMENT_' || new.status,
            jsonb_build_object(
                'booking_id', new.booking_id,
                'household_id', p.household_id,
                'council_id', p.council_id,
                'provider_id', p.provider_id,
                'month', new.month,
                'due_at', new.due_at,
                'amount_pence', new.amount_pence,
                'base_pence', new.base_pence,
                'subsidy_pence', new.subsidy_pence,
                'method', p.method
            )
        );
    end if;
    return new;
end
$$;

create trigger lease_instalments_publish after update of status on lease_instalments
    for each row execute function lease_instalments_publish();
