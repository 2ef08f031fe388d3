-- The zones the household lived in when it booked (eligibility's zones, as
-- its subsidy quote gave them), for reports by zone. Bookings made before
-- this column existed count as outside every zone.
alter table bookings add column zone_ids uuid[] not null default '{}';
