-- Bucket quotas (docs/quotas.md); as ../sqlite/0010_bucket_quota.sql, with the usage kept
-- by one trigger function.
CREATE TABLE bucket_usage (
    bucket TEXT COLLATE "C" PRIMARY KEY,
    bytes BIGINT NOT NULL DEFAULT 0,
    objects BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE bucket_quotas (
    bucket TEXT COLLATE "C" PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    max_bytes BIGINT,
    max_objects BIGINT
);

INSERT INTO bucket_usage (bucket, bytes, objects)
SELECT name,
       (SELECT COALESCE(SUM(size), 0) FROM versions WHERE bucket = name),
       (SELECT COUNT(*) FROM versions WHERE bucket = name AND is_delete_marker = 0)
FROM buckets;

CREATE FUNCTION bucket_usage_count_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE bucket_usage
        SET bytes = bytes - OLD.size, objects = objects - (1 - OLD.is_delete_marker)
        WHERE bucket = OLD.bucket;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO bucket_usage (bucket, bytes, objects)
        VALUES (NEW.bucket, NEW.size, 1 - NEW.is_delete_marker)
        ON CONFLICT (bucket) DO UPDATE
            SET bytes = bucket_usage.bytes + EXCLUDED.bytes,
                objects = bucket_usage.objects + EXCLUDED.objects;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bucket_usage_version_insert AFTER INSERT ON versions
FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

CREATE TRIGGER bucket_usage_version_delete AFTER DELETE ON versions
FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

CREATE TRIGGER bucket_usage_version_update AFTER UPDATE OF bucket, size, is_delete_marker
ON versions FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

CREATE FUNCTION bucket_usage_forget_bucket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bucket_usage WHERE bucket = OLD.name;
    RETURN NULL;
END $$;

CREATE TRIGGER bucket_usage_bucket_delete AFTER DELETE ON buckets
FOR EACH ROW EXECUTE FUNCTION bucket_usage_forget_bucket();
