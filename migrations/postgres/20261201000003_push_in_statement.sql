-- A notification's pushes are queued by the statement that writes it (`store/notifications.rs`),
-- in the same transaction as before, without a PL/pgSQL call for every notification.
DROP TRIGGER notifications_push ON notifications;
DROP FUNCTION parkway_queue_push();
