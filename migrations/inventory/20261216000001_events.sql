-- Events for the gateway's notifications (roundabout_api::events; the same
-- table as in bookings): a provider approved or suspended in a council,
-- written by a trigger in the same transaction as the decision.
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

create function provider_councils_publish() returns trigger
language plpgsql as $$
begin
    if new.status is distinct from old.status and new.status in ('APPROVED', 'SUSPENDED') then
        insert into events (kind, payload) values (
            'PROVIDER_' || new.status,
            jsonb_build_object('provider_id', new.provider_id, 'council_id', new.council_id, 'status', new.status)
        );
    end if;
    return new;
end
$$;

create trigger provider_councils_publish after update of status on provider_councils
    for each row execute function provider_councils_publish();
