-- The webhook backlog metric (stripe_webhook_unprocessed_events, and the age
-- of the oldest) reads only events not yet applied; the inbox itself grows
-- with every delivery.
create index stripe_events_unprocessed_idx on stripe_events (received_at) where processed_at is null;
