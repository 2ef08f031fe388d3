-- One database per part (run once, when the data volume is new). The
-- Kubernetes deployment gives each part its own cluster and role instead.
create database roundabout_inventory;
create database roundabout_eligibility;
create database roundabout_bookings;
create database roundabout_payments;
create database roundabout_gateway;
