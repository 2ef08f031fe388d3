-- Events for the gateway's notifications (roundabout_api::events; the same
-- table as in bookings): a scheme's committed subsidy reaching 80 % and
-- 100 % of its budget, for the council's officers, written by a trigger in
-- the same transaction as the commitment. The trigger takes the scheme
-- line's row lock first, so commitments to one scheme are counted one
-- after another and each threshold is announced once.
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

create function budget_allocations_publish() returns trigger
language plpgsql as $$
declare
    line scheme_lines;
    after_pence bigint;
    before_pence bigint;
    threshold integer;
    scheme_name text;
begin
    if new.state <> 'COMMITTED' or (tg_op = 'UPDATE' and old.state = 'COMMITTED') then
        return new;
    end if;
    select * into line from scheme_lines where id = new.line_id for update;
    if line.budget_pence <= 0 then
        return new;
    end if;
    select coalesce(sum(amount_pence), 0) into after_pence
        from budget_allocations where line_id = new.line_id and state = 'COMMITTED';
    before_pence := after_pence - new.amount_pence;
    foreach threshold in array array[80, 100] loop
        if before_pence * 100 < line.budget_pence * threshold and after_pence * 100 >= line.budget_pence * threshold then
            select name into scheme_name from schemes where id = new.scheme_id;
            insert into events (kind, payload) values (
                'SCHEME_BUDGET_COMMITTED',
                jsonb_build_object(
                    'council_id', line.council_id,
                    'line_id', line.id,
                    'scheme_id', new.scheme_id,
                    'scheme_name', scheme_name,
                    'threshold_percent', threshold,
                    'budget_pence', line.budget_pence,
                    'committed_pence', after_pence
                )
            );
        end if;
    end loop;
    return new;
end
$$;

create trigger budget_allocations_publish after insert or update of state on budget_allocations
    for each row execute function budget_allocations_publish();
