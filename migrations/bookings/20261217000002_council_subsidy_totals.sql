-- The subsidy of each council's bookings that stand (CONFIRMED, ACTIVE,
-- COMPLETED), kept by a trigger in the same transaction as each booking's
-- change, so the officer's report finds the subsidy spent before its
-- period as this total less what was made since the period began — a read
-- of the period onwards — instead of summing the council's whole history.
-- The total is spread over 16 rows per council, each change adding to one
-- picked at random, so bookings confirmed at the same moment seldom wait
-- for one another's row lock.
create table council_subsidy_totals (
    council_id uuid not null,
    shard smallint not null constraint council_subsidy_totals_shard_range check (shard between 0 and 15),
    subsidy_pence bigint not null,
    primary key (council_id, shard)
);

insert into council_subsidy_totals (council_id, shard, subsidy_pence)
select council_id, 0, sum(subsidy_pence)
from bookings where status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
group by council_id;

create function bookings_subsidy_total() returns trigger
language plpgsql as $$
declare
    was bigint := 0;
    now_counted bigint := 0;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.status in ('CONFIRMED', 'ACTIVE', 'COMPLETED') then
        was := old.subsidy_pence;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.status in ('CONFIRMED', 'ACTIVE', 'COMPLETED') then
        now_counted := new.subsidy_pence;
    end if;
    if tg_op = 'UPDATE' and old.council_id = new.council_id then
        now_counted := now_counted - was;
        was := 0;
    end if;
    if was <> 0 then
        insert into council_subsidy_totals as t (council_id, shard, subsidy_pence)
        values (old.council_id, floor(random() * 16)::smallint, -was)
        on conflict (council_id, shard) do update set subsidy_pence = t.subsidy_pence + excluded.subsidy_pence;
    end if;
    if now_counted <> 0 then
        insert into council_subsidy_totals as t (council_id, shard, subsidy_pence)
        values (new.council_id, floor(random() * 16)::smallint, now_counted)
        on conflict (council_id, shard) do update set subsidy_pence = t.subsidy_pence + excluded.subsidy_pence;
    end if;
    return null;
end
$$;

create trigger bookings_subsidy_total after insert or delete or update of status, subsidy_pence, council_id on bookings
    for each row execute function bookings_subsidy_total();
