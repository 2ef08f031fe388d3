-- Retention. The ledger stays append-only for every path but one: the
-- purge of financial records past their retention period, which sets the
-- transaction-local `roundabout.ledger_purge` and, in the same database
-- transaction, replaces what it deletes with one balanced transaction
-- brought forward (kind 'brought_forward'). Updates are refused always.
create or replace function ledger_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('roundabout.ledger_purge', true) = 'on' then
        return old;
    end if;
    raise exception 'the ledger is append-only' using errcode = 'check_violation';
end;
$$;

-- A purge deletes whole transactions: whatever is left of one must still
-- balance when the database transaction commits.
create function ledger_check_balance_after_delete() returns trigger language plpgsql as $$
declare
    total bigint;
begin
    select coalesce(sum(amount_pence), 0) into total from ledger_entries where transaction_id = old.transaction_id;
    if total <> 0 then
        raise exception 'ledger transaction % does not balance (%)', old.transaction_id, total
            using errcode = 'check_violation', constraint = 'ledger_entries_balance';
    end if;
    return null;
end;
$$;
create constraint trigger ledger_entries_balance_after_delete
    after delete on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_check_balance_after_delete();

create index ledger_transactions_booking_idx on ledger_transactions (booking_id, created_at);
create index ledger_transactions_brought_forward_idx on ledger_transactions (created_at) where booking_id is null;
create index payments_created_idx on payments (created_at);
create index stripe_calls_booking_idx on stripe_calls (booking_id);
create index stripe_events_processed_idx on stripe_events (processed_at) where processed_at is not null;
create index outbox_delivered_idx on outbox (delivered_at) where delivered_at is not null;
create index outbox_dead_idx on outbox (dead_at) where dead_at is not null;
