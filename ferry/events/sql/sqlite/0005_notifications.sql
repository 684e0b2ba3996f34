-- A bucket's notification configuration (PutBucketNotificationConfiguration), as Ferry renders
-- it for GetBucketNotificationConfiguration (Ids filled in). `bucket_created_ms` ties it to
-- one incarnation of the bucket: a bucket deleted and created again starts with none.
CREATE TABLE bucket_notifications (
    bucket TEXT PRIMARY KEY,
    bucket_created_ms INTEGER NOT NULL,
    document TEXT NOT NULL
);

-- The event outbox: one row per (event, target), written in the transaction that caused the
-- event (a version commit, a replication failure). Delivered rows are deleted; a row whose
-- target is down stays, with its attempts and last error, and is retried with backoff.
CREATE TABLE event_outbox (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    target_arn TEXT NOT NULL,
    bucket TEXT NOT NULL,
    event_name TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    leased_until_ms INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt_ms INTEGER
);
CREATE INDEX event_outbox_due ON event_outbox(due_ms);
CREATE INDEX event_outbox_by_target ON event_outbox(target_arn, event_id);
