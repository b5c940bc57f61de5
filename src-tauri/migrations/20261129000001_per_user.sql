-- Each queued request and each cached booking belongs to the user who made it: another user
-- signing in on the same device never sends or sees it, and it waits for its owner's return.
-- Rows from before carry no user and are not sent under anyone's name.
ALTER TABLE outbox ADD COLUMN user_id TEXT;
ALTER TABLE bookings_cache ADD COLUMN user_id TEXT;
CREATE INDEX outbox_user ON outbox(user_id, created_at);
