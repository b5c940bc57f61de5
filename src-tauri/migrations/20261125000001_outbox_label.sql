-- What an outbox item is for, in words (the driveway's title and address), so the list can
-- say it with no network.
ALTER TABLE outbox ADD COLUMN label TEXT;
