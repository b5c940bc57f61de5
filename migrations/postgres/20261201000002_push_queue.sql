-- Pushes waiting to go: one row per notification and device. The row is written by the
-- notification's own insert (the trigger below), so it commits with the change the notification
-- reports, and a crash or restart loses none. A sender claims rows for a while (SKIP LOCKED, so
-- instances share the work), and deletes each once its push service has taken it.
CREATE TABLE push_queue (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id  BIGINT NOT NULL,
    device_id        TEXT NOT NULL,
    due_at           BIGINT NOT NULL,     -- not before (retries back off)
    attempts         BIGINT NOT NULL DEFAULT 0,
    claimed_until    BIGINT               -- a sender is on it until then
);
CREATE INDEX push_queue_due ON push_queue(due_at);
CREATE INDEX push_queue_device ON push_queue(device_id);

CREATE FUNCTION parkway_queue_push() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO push_queue (notification_id, device_id, due_at)
    SELECT NEW.id, d.id, NEW.created_at FROM devices d
     WHERE d.user_id = NEW.user_id
       AND NOT EXISTS (SELECT 1 FROM push_muted m WHERE m.user_id = NEW.user_id AND m.kind = NEW.type);
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_push AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION parkway_queue_push();
