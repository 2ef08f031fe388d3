-- Retention: delivered and dead outbox messages are purged by age.
create index outbox_delivered_idx on outbox (delivered_at) where delivered_at is not null;
create index outbox_dead_idx on outbox (dead_at) where dead_at is not null;
