-- The offers calendar: "which of these vehicles are taken in [start, end)?"
-- for a search's candidates in one query. The exclusion constraint's GiST
-- index answers it too, but each of its probes checks every entry of the
-- inner pages it passes; a B-tree on the vehicle and the end of the period
-- finds each vehicle's bookings that end after the start in a few
-- comparisons, and carries the period so the overlap is checked without
-- reading the table (an index-only scan). Past bookings are never read.
create index bookings_calendar_idx on bookings (vehicle_id, upper(period)) include (period) where slot_held;
