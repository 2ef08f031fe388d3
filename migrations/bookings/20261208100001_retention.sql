-- Retention: indexes that let the purges find what is due without scanning
-- whole tables. Abandoned bookings are those that expired or failed and
-- whose saga is done (roundabout_api::retention, ABANDONED_BOOKINGS).
create index bookings_abandoned_idx on bookings (updated_at)
    where status in ('EXPIRED', 'FAILED') and step = 'DONE';
create index payment_events_consumed_idx on payment_events (consumed_at) where consumed_at is not null;
create index outbox_delivered_idx on outbox (delivered_at) where delivered_at is not null;
create index outbox_dead_idx on outbox (dead_at) where dead_at is not null;
