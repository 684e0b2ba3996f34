-- Object Lock (docs/s3-surface.md, Object Lock). buckets.object_lock: NULL when the bucket has no Object
-- Lock; else the JSON of store.object_lock.BucketObjectLock (its default retention, if any).
-- Once set it is never cleared (AWS: Object Lock cannot be disabled).
ALTER TABLE buckets ADD COLUMN object_lock TEXT;
-- A version's lock, written in the transaction that commits the version (or changes its lock):
-- lock_mode GOVERNANCE | COMPLIANCE with lock_until_ms, NULL both when it has no retention;
-- legal_hold 1 while a legal hold is ON.
ALTER TABLE versions ADD COLUMN lock_mode TEXT;
ALTER TABLE versions ADD COLUMN lock_until_ms INTEGER;
ALTER TABLE versions ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
-- What CreateMultipartUpload asked for, applied when the upload completes.
ALTER TABLE uploads ADD COLUMN lock_mode TEXT;
ALTER TABLE uploads ADD COLUMN lock_until_ms INTEGER;
ALTER TABLE uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
