-- Bucket quotas (docs/quotas.md); as ../sqlite/0010_bucket_quota.sql, with the usage kept
-- by one trigger function, in slots.
--
-- Why slots: every PUT to a bucket changes its usage, and with one usage row per bucket that row
-- is hot. PostgreSQL holds a row lock until the commit is on disk, so every writer of a bucket
-- waited for the previous one's WAL flush: the bucket's PUTs committed one fsync at a time, with
-- no group commit (measured: ~200 PUT/s at concurrency 16, the backends waiting on
-- Lock:transactionid). Instead each connection (backend) adds its changes to its own slot of
-- the bucket, so concurrent writers touch different rows and their commits share fsyncs again;
-- the bucket_usage view sums the slots, so SQL reading bucket_usage is the same on both engines.
-- Slots are pg_backend_pid() mod 64: at most 64 rows a bucket, two backends rarely sharing one.
CREATE TABLE bucket_usage_slots (
    bucket TEXT COLLATE "C" NOT NULL,
    slot INTEGER NOT NULL,
    bytes BIGINT NOT NULL DEFAULT 0,
    objects BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, slot)
);

CREATE VIEW bucket_usage AS
SELECT bucket, SUM(bytes)::BIGINT AS bytes, SUM(objects)::BIGINT AS objects
FROM bucket_usage_slots
GROUP BY bucket;

CREATE TABLE bucket_quotas (
    bucket TEXT COLLATE "C" PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    max_bytes BIGINT,
    max_objects BIGINT
);

INSERT INTO bucket_usage_slots (bucket, slot, bytes, objects)
SELECT name, 0,
       (SELECT COALESCE(SUM(size), 0) FROM versions WHERE bucket = name),
       (SELECT COUNT(*) FROM versions WHERE bucket = name AND is_delete_marker = 0)
FROM buckets;

CREATE FUNCTION bucket_usage_add(bucket_name TEXT, added_bytes BIGINT, added_objects BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO bucket_usage_slots (bucket, slot, bytes, objects)
    VALUES (bucket_name, pg_backend_pid() % 64, added_bytes, added_objects)
    ON CONFLICT (bucket, slot) DO UPDATE
        SET bytes = bucket_usage_slots.bytes + EXCLUDED.bytes,
            objects = bucket_usage_slots.objects + EXCLUDED.objects;
$$;

CREATE FUNCTION bucket_usage_count_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM bucket_usage_add(OLD.bucket, -OLD.size, -(1 - OLD.is_delete_marker));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM bucket_usage_add(NEW.bucket, NEW.size, 1 - NEW.is_delete_marker);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bucket_usage_version_insert AFTER INSERT ON versions
FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

CREATE TRIGGER bucket_usage_version_delete AFTER DELETE ON versions
FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

CREATE TRIGGER bucket_usage_version_update AFTER UPDATE OF bucket, size, is_delete_marker
ON versions FOR EACH ROW EXECUTE FUNCTION bucket_usage_count_version();

-- A deleted bucket (always empty) leaves no usage behind for a namesake to inherit.
CREATE FUNCTION bucket_usage_forget_bucket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bucket_usage_slots WHERE bucket = OLD.name;
    RETURN NULL;
END $$;

CREATE TRIGGER bucket_usage_bucket_delete AFTER DELETE ON buckets
FOR EACH ROW EXECUTE FUNCTION bucket_usage_forget_bucket();
