-- A household erased at its request (or its council's): its profile,
-- decisions and profile reads are gone; the row stays, holding no personal
-- data, so bookings' and budgets' references to the id still resolve.
alter table households add column erased_at timestamptz;
