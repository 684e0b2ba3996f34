-- Replication metrics (docs/operations.md, "Replication metrics"): exact counts per (source
-- bucket, rule, destination bucket), kept by triggers in the transaction that changes a task
-- or a failure record, whichever code path does it, so they always agree with the queue:
--   pending_ops/bytes       tasks PENDING (first try or retrying) and their versions' sizes
--   failed_ops              failure records FAILED now (a re-drive that succeeds resolves them)
--   replicated_ops/bytes    tasks completed (a completed task's row is deleted)
--   rtc_tracked/rtc_missed  tasks of RTC rules, and of them those that missed the threshold
-- The latency histogram (replication_latency) is written by replication.latencies, which
-- knows the clock. A task's size and RTC deadline are written when it is enqueued.
ALTER TABLE replication_tasks ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replication_tasks ADD COLUMN rtc_deadline_ms INTEGER; -- NULL: not tracked by RTC
ALTER TABLE replication_tasks ADD COLUMN rtc_missed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX replication_tasks_rtc_due ON replication_tasks(rtc_deadline_ms)
    WHERE rtc_deadline_ms IS NOT NULL AND rtc_missed = 0;

CREATE TABLE replication_metrics (
    bucket TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    destination_bucket TEXT NOT NULL,
    pending_ops INTEGER NOT NULL DEFAULT 0,
    pending_bytes INTEGER NOT NULL DEFAULT 0,
    failed_ops INTEGER NOT NULL DEFAULT 0,
    replicated_ops INTEGER NOT NULL DEFAULT 0,
    replicated_bytes INTEGER NOT NULL DEFAULT 0,
    rtc_tracked INTEGER NOT NULL DEFAULT 0,
    rtc_missed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, rule_id, destination_bucket)
) WITHOUT ROWID;

-- One row per histogram bucket: latencies (ms, commit to replica acknowledged) up to le_ms.
CREATE TABLE replication_latency (
    bucket TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    destination_bucket TEXT NOT NULL,
    le_ms INTEGER NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    sum_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, rule_id, destination_bucket, le_ms)
) WITHOUT ROWID;

-- What the queue holds today (tasks made before this migration count from now on).
INSERT INTO replication_metrics (bucket, rule_id, destination_bucket, pending_ops)
SELECT bucket, rule_id, destination_bucket, SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END)
FROM replication_tasks GROUP BY bucket, rule_id, destination_bucket;
INSERT INTO replication_metrics (bucket, rule_id, destination_bucket, failed_ops)
SELECT bucket, rule_id, destination_bucket, COUNT(*) FROM replication_failures
WHERE state = 'FAILED' GROUP BY bucket, rule_id, destination_bucket
ON CONFLICT (bucket, rule_id, destination_bucket) DO UPDATE SET failed_ops = excluded.failed_ops;

CREATE TRIGGER replication_metrics_task_insert AFTER INSERT ON replication_tasks
BEGIN
    INSERT INTO replication_metrics (bucket, rule_id, destination_bucket, pending_ops,
                                     pending_bytes, rtc_tracked)
    VALUES (new.bucket, new.rule_id, new.destination_bucket,
            new.status = 'PENDING', CASE WHEN new.status = 'PENDING' THEN new.size_bytes ELSE 0 END,
            new.rtc_deadline_ms IS NOT NULL)
    ON CONFLICT (bucket, rule_id, destination_bucket) DO UPDATE
        SET pending_ops = pending_ops + excluded.pending_ops,
            pending_bytes = pending_bytes + excluded.pending_bytes,
            rtc_tracked = rtc_tracked + excluded.rtc_tracked;
END;

-- Only completion deletes a PENDING task (tasks.finish_task): that is a replication.
CREATE TRIGGER replication_metrics_task_delete AFTER DELETE ON replication_tasks
WHEN old.status = 'PENDING'
BEGIN
    UPDATE replication_metrics
    SET pending_ops = pending_ops - 1, pending_bytes = pending_bytes - old.size_bytes,
        replicated_ops = replicated_ops + 1, replicated_bytes = replicated_bytes + old.size_bytes
    WHERE bucket = old.bucket AND rule_id = old.rule_id
      AND destination_bucket = old.destination_bucket;
END;

CREATE TRIGGER replication_metrics_task_status AFTER UPDATE OF status ON replication_tasks
WHEN old.status IS NOT new.status
BEGIN
    UPDATE replication_metrics
    SET pending_ops = pending_ops + (new.status = 'PENDING') - (old.status = 'PENDING'),
        pending_bytes = pending_bytes
            + (CASE WHEN new.status = 'PENDING' THEN new.size_bytes ELSE 0 END)
            - (CASE WHEN old.status = 'PENDING' THEN old.size_bytes ELSE 0 END)
    WHERE bucket = old.bucket AND rule_id = old.rule_id
      AND destination_bucket = old.destination_bucket;
END;

CREATE TRIGGER replication_metrics_task_missed AFTER UPDATE OF rtc_missed ON replication_tasks
WHEN old.rtc_missed = 0 AND new.rtc_missed = 1
BEGIN
    UPDATE replication_metrics SET rtc_missed = rtc_missed + 1
    WHERE bucket = old.bucket AND rule_id = old.rule_id
      AND destination_bucket = old.destination_bucket;
END;

CREATE TRIGGER replication_metrics_failure_insert AFTER INSERT ON replication_failures
WHEN new.state = 'FAILED'
BEGIN
    INSERT INTO replication_metrics (bucket, rule_id, destination_bucket, failed_ops)
    VALUES (new.bucket, new.rule_id, new.destination_bucket, 1)
    ON CONFLICT (bucket, rule_id, destination_bucket) DO UPDATE
        SET failed_ops = failed_ops + 1;
END;

CREATE TRIGGER replication_metrics_failure_delete AFTER DELETE ON replication_failures
WHEN old.state = 'FAILED'
BEGIN
    UPDATE replication_metrics SET failed_ops = failed_ops - 1
    WHERE bucket = old.bucket AND rule_id = old.rule_id
      AND destination_bucket = old.destination_bucket;
END;

CREATE TRIGGER replication_metrics_failure_state AFTER UPDATE OF state ON replication_failures
WHEN (old.state = 'FAILED') IS NOT (new.state = 'FAILED')
BEGIN
    INSERT INTO replication_metrics (bucket, rule_id, destination_bucket, failed_ops)
    VALUES (new.bucket, new.rule_id, new.destination_bucket,
            (new.state = 'FAILED') - (old.state = 'FAILED'))
    ON CONFLICT (bucket, rule_id, destination_bucket) DO UPDATE
        SET failed_ops = failed_ops + excluded.failed_ops;
END;
