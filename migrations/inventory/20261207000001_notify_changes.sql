-- Every change to a vehicle or an approval also notifies `inventory_changes`
-- (delivered when its transaction commits, once per transaction), so every
-- replica's geo index catches up at once instead of at its next poll. The
-- poll stays as the safety net for a notification missed while a replica's
-- listening connection was down.
create or replace function inventory_stamp_change() returns trigger language plpgsql as $$
begin
    new.change_seq := nextval('inventory_change_seq');
    new.change_xid := pg_current_xact_id();
    new.updated_at := now();
    perform pg_notify('inventory_changes', '');
    return new;
end;
$$;
