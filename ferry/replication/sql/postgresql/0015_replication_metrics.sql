-- Replication metrics; as ../sqlite/0011_replication_metrics.sql, with the counts kept in slots
-- as bucket_usage is (store's 0010_bucket_quota.sql says why): every task a write enqueues
-- changes its (bucket, rule, destination) counts, and one row per triple would be hot; each
-- backend adds to its own slot (pg_backend_pid() mod 64) and the views sum the slots, so SQL
-- reading replication_metrics and replication_latency is the same on both engines.
ALTER TABLE replication_tasks ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replication_tasks ADD COLUMN rtc_deadline_ms BIGINT; -- NULL: not tracked by RTC
ALTER TABLE replication_tasks ADD COLUMN rtc_missed BIGINT NOT NULL DEFAULT 0;
CREATE INDEX replication_tasks_rtc_due ON replication_tasks(rtc_deadline_ms)
    WHERE rtc_deadline_ms IS NOT NULL AND rtc_missed = 0;

CREATE TABLE replication_metrics_slots (
    bucket TEXT COLLATE "C" NOT NULL,
    rule_id TEXT COLLATE "C" NOT NULL,
    destination_bucket TEXT COLLATE "C" NOT NULL,
    slot INTEGER NOT NULL,
    pending_ops BIGINT NOT NULL DEFAULT 0,
    pending_bytes BIGINT NOT NULL DEFAULT 0,
    failed_ops BIGINT NOT NULL DEFAULT 0,
    replicated_ops BIGINT NOT NULL DEFAULT 0,
    replicated_bytes BIGINT NOT NULL DEFAULT 0,
    rtc_tracked BIGINT NOT NULL DEFAULT 0,
    rtc_missed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, rule_id, destination_bucket, slot)
);

CREATE VIEW replication_metrics AS
SELECT bucket, rule_id, destination_bucket,
       SUM(pending_ops)::BIGINT AS pending_ops, SUM(pending_bytes)::BIGINT AS pending_bytes,
       SUM(failed_ops)::BIGINT AS failed_ops, SUM(replicated_ops)::BIGINT AS replicated_ops,
       SUM(replicated_bytes)::BIGINT AS replicated_bytes,
       SUM(rtc_tracked)::BIGINT AS rtc_tracked, SUM(rtc_missed)::BIGINT AS rtc_missed
FROM replication_metrics_slots
GROUP BY bucket, rule_id, destination_bucket;

CREATE TABLE replication_latency_slots (
    bucket TEXT COLLATE "C" NOT NULL,
    rule_id TEXT COLLATE "C" NOT NULL,
    destination_bucket TEXT COLLATE "C" NOT NULL,
    le_ms BIGINT NOT NULL,
    slot INTEGER NOT NULL,
    count BIGINT NOT NULL DEFAULT 0,
    sum_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, rule_id, destination_bucket, le_ms, slot)
);

CREATE VIEW replication_latency AS
SELECT bucket, rule_id, destination_bucket, le_ms,
       SUM(count)::BIGINT AS count, SUM(sum_ms)::BIGINT AS sum_ms
FROM replication_latency_slots
GROUP BY bucket, rule_id, destination_bucket, le_ms;

CREATE FUNCTION replication_metrics_add(
    bucket_name TEXT, rule TEXT, destination TEXT, d_pending_ops BIGINT,
    d_pending_bytes BIGINT, d_failed_ops BIGINT, d_replicated_ops BIGINT,
    d_replicated_bytes BIGINT, d_rtc_tracked BIGINT, d_rtc_missed BIGINT
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO replication_metrics_slots (bucket, rule_id, destination_bucket, slot,
        pending_ops, pending_bytes, failed_ops, replicated_ops, replicated_bytes,
        rtc_tracked, rtc_missed)
    VALUES (bucket_name, rule, destination, pg_backend_pid() % 64, d_pending_ops,
        d_pending_bytes, d_failed_ops, d_replicated_ops, d_replicated_bytes, d_rtc_tracked,
        d_rtc_missed)
    ON CONFLICT (bucket, rule_id, destination_bucket, slot) DO UPDATE
        SET pending_ops = replication_metrics_slots.pending_ops + EXCLUDED.pending_ops,
            pending_bytes = replication_metrics_slots.pending_bytes + EXCLUDED.pending_bytes,
            failed_ops = replication_metrics_slots.failed_ops + EXCLUDED.failed_ops,
            replicated_ops = replication_metrics_slots.replicated_ops + EXCLUDED.replicated_ops,
            replicated_bytes =
                replication_metrics_slots.replicated_bytes + EXCLUDED.replicated_bytes,
            rtc_tracked = replication_metrics_slots.rtc_tracked + EXCLUDED.rtc_tracked,
            rtc_missed = replication_metrics_slots.rtc_missed + EXCLUDED.rtc_missed;
$$;

INSERT INTO replication_metrics_slots (bucket, rule_id, destination_bucket, slot, pending_ops)
SELECT bucket, rule_id, destination_bucket, 0, SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END)
FROM replication_tasks GROUP BY bucket, rule_id, destination_bucket;
INSERT INTO replication_metrics_slots (bucket, rule_id, destination_bucket, slot, failed_ops)
SELECT bucket, rule_id, destination_bucket, 0, COUNT(*) FROM replication_failures
WHERE state = 'FAILED' GROUP BY bucket, rule_id, destination_bucket
ON CONFLICT (bucket, rule_id, destination_bucket, slot) DO UPDATE
    SET failed_ops = EXCLUDED.failed_ops;

-- Only completion deletes a PENDING task (tasks.finish_task): that is a replication.
CREATE FUNCTION replication_metrics_count_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM replication_metrics_add(NEW.bucket, NEW.rule_id, NEW.destination_bucket,
            (NEW.status = 'PENDING')::INT, CASE WHEN NEW.status = 'PENDING' THEN NEW.size_bytes
            ELSE 0 END, 0, 0, 0, (NEW.rtc_deadline_ms IS NOT NULL)::INT, 0);
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.status = 'PENDING' THEN
            PERFORM replication_metrics_add(OLD.bucket, OLD.rule_id, OLD.destination_bucket,
                -1, -OLD.size_bytes, 0, 1, OLD.size_bytes, 0, 0);
        END IF;
    ELSE
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            PERFORM replication_metrics_add(OLD.bucket, OLD.rule_id, OLD.destination_bucket,
                (NEW.status = 'PENDING')::INT - (OLD.status = 'PENDING')::INT,
                (CASE WHEN NEW.status = 'PENDING' THEN NEW.size_bytes ELSE 0 END)
                - (CASE WHEN OLD.status = 'PENDING' THEN OLD.size_bytes ELSE 0 END),
                0, 0, 0, 0, 0);
        END IF;
        IF OLD.rtc_missed = 0 AND NEW.rtc_missed = 1 THEN
            PERFORM replication_metrics_add(OLD.bucket, OLD.rule_id, OLD.destination_bucket,
                0, 0, 0, 0, 0, 0, 1);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER replication_metrics_task_insert AFTER INSERT ON replication_tasks
FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_task();
CREATE TRIGGER replication_metrics_task_delete AFTER DELETE ON replication_tasks
FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_task();
CREATE TRIGGER replication_metrics_task_update AFTER UPDATE OF status, rtc_missed
ON replication_tasks FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_task();

CREATE FUNCTION replication_metrics_count_failure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        IF NEW.state = 'FAILED' AND (TG_OP = 'INSERT' OR OLD.state <> 'FAILED') THEN
            PERFORM replication_metrics_add(NEW.bucket, NEW.rule_id, NEW.destination_bucket,
                0, 0, 1, 0, 0, 0, 0);
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.state = 'FAILED' AND NEW.state <> 'FAILED' THEN
            PERFORM replication_metrics_add(OLD.bucket, OLD.rule_id, OLD.destination_bucket,
                0, 0, -1, 0, 0, 0, 0);
        END IF;
    ELSIF OLD.state = 'FAILED' THEN
        PERFORM replication_metrics_add(OLD.bucket, OLD.rule_id, OLD.destination_bucket,
            0, 0, -1, 0, 0, 0, 0);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER replication_metrics_failure_insert AFTER INSERT ON replication_failures
FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_failure();
CREATE TRIGGER replication_metrics_failure_delete AFTER DELETE ON replication_failures
FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_failure();
CREATE TRIGGER replication_metrics_failure_update AFTER UPDATE OF state ON replication_failures
FOR EACH ROW EXECUTE FUNCTION replication_metrics_count_failure();
