-- The map's clusters keep every live driveway's position in memory and catch up with what
-- changed since they last looked (on any instance): by the time of the change, deletions
-- included.
CREATE INDEX driveways_updated ON driveways(updated_at);
