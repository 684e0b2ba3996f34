-- Bucket quotas (docs/quotas.md). bucket_usage is what a bucket holds: the bytes of all its
-- versions (noncurrent ones use the disk too) and how many of them are objects (delete markers
-- hold no bytes and do not count). Triggers keep it exact in the transaction that inserts or
-- removes a version, whichever code path does it (PUT, copy, multipart, delete, replica,
-- lifecycle). Parts of uploads in progress are not here: quotas.py adds them up when it checks.
CREATE TABLE bucket_usage (
    bucket TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL DEFAULT 0,
    objects INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Hard limits set by the operator; NULL: no limit of that kind. No row: no quota.
CREATE TABLE bucket_quotas (
    bucket TEXT PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    max_bytes INTEGER,
    max_objects INTEGER
) WITHOUT ROWID;

INSERT INTO bucket_usage (bucket, bytes, objects)
SELECT name,
       (SELECT COALESCE(SUM(size), 0) FROM versions WHERE bucket = name),
       (SELECT COUNT(*) FROM versions WHERE bucket = name AND is_delete_marker = 0)
FROM buckets;

CREATE TRIGGER bucket_usage_version_insert AFTER INSERT ON versions
BEGIN
    INSERT INTO bucket_usage (bucket, bytes, objects)
    VALUES (new.bucket, new.size, 1 - new.is_delete_marker)
    ON CONFLICT (bucket) DO UPDATE
        SET bytes = bytes + excluded.bytes, objects = objects + excluded.objects;
END;

CREATE TRIGGER bucket_usage_version_delete AFTER DELETE ON versions
BEGIN
    UPDATE bucket_usage
    SET bytes = bytes - old.size, objects = objects - (1 - old.is_delete_marker)
    WHERE bucket = old.bucket;
END;

CREATE TRIGGER bucket_usage_version_update AFTER UPDATE OF bucket, size, is_delete_marker
ON versions
BEGIN
    UPDATE bucket_usage
    SET bytes = bytes - old.size, objects = objects - (1 - old.is_delete_marker)
    WHERE bucket = old.bucket;
    INSERT INTO bucket_usage (bucket, bytes, objects)
    VALUES (new.bucket, new.size, 1 - new.is_delete_marker)
    ON CONFLICT (bucket) DO UPDATE
        SET bytes = bytes + excluded.bytes, objects = objects + excluded.objects;
END;

-- A deleted bucket (always empty) leaves no usage row behind for a namesake to inherit.
CREATE TRIGGER bucket_usage_bucket_delete AFTER DELETE ON buckets
BEGIN
    DELETE FROM bucket_usage WHERE bucket = old.name;
END;
