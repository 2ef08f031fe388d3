-- Retention: the audit log of assisted actions is purged by age, per
-- council (roundabout_api::retention, ASSISTED_ACTIONS).
create index assisted_actions_at_idx on assisted_actions (at);
