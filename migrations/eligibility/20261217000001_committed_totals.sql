-- A scheme line's committed subsidy as a running total, kept by the
-- trigger that already announces its thresholds, in the same transaction
-- as each allocation's change. Before, every offers search, every hold and
-- every commitment summed all of a line's allocations (one per booking
-- ever made under it), so each grew with the scheme's history. Live holds
-- are still summed, from a partial index holding only them.
alter table scheme_lines add column committed_pence bigint not null default 0
    constraint scheme_lines_committed_range check (committed_pence >= 0);

update scheme_lines l set committed_pence = coalesce(
    (select sum(a.amount_pence) from budget_allocations a where a.line_id = l.id and a.state = 'COMMITTED'), 0);

create index budget_allocations_held_idx on budget_allocations (line_id, expires_at) include (amount_pence)
    where state = 'HELD';

-- The running total first (an allocation leaving COMMITTED, or moved to
-- another line or amount, gives back what it had), then the 80 % and 100 %
-- announcements against the new total. Updating the line takes its row
-- lock, so commitments to one scheme are still counted one after another.
create or replace function budget_allocations_publish() returns trigger
language plpgsql as $$
declare
    line scheme_lines;
    after_pence bigint;
    before_pence bigint;
    threshold integer;
    scheme_name text;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.state = 'COMMITTED' then
        update scheme_lines set committed_pence = committed_pence - old.amount_pence where id = old.line_id;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    if new.state <> 'COMMITTED' then
        return new;
    end if;
    update scheme_lines set committed_pence = committed_pence + new.amount_pence
        where id = new.line_id returning * into line;
    if tg_op = 'UPDATE' and old.state = 'COMMITTED' or line.budget_pence <= 0 then
        return new;
    end if;
    after_pence := line.committed_pence;
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

drop trigger budget_allocations_publish on budget_allocations;
create trigger budget_allocations_publish after insert or update or delete on budget_allocations
    for each row execute function budget_allocations_publish();
