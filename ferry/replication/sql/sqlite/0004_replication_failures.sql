-- The failure store: every replication that failed, once per (version, destination,
-- operation). RETRYING while a transient failure is being retried (next_attempt_ms says when),
-- FAILED when the engine gave up, RESOLVED once the version replicated after all (kept as
-- history). Written by replication.failures in the transaction that records the task's
-- outcome; rows leave only by an operator's purge.
CREATE TABLE replication_failures (
    failure_id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    destination_bucket TEXT NOT NULL,
    destination_region TEXT,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL,
    first_failure_ms INTEGER NOT NULL,
    last_failure_ms INTEGER NOT NULL,
    next_attempt_ms INTEGER,
    resolved_ms INTEGER
);
CREATE UNIQUE INDEX replication_failures_identity
    ON replication_failures(bucket, key, version_id, destination_bucket, operation);
-- Newest first (last_failure_ms DESC, failure_id DESC) under each filter: every index ends with
-- last_failure_ms, and SQLite appends the rowid (failure_id), so a filtered page is a range scan.
CREATE INDEX replication_failures_by_time ON replication_failures(last_failure_ms);
CREATE INDEX replication_failures_by_rule ON replication_failures(rule_id, last_failure_ms);
CREATE INDEX replication_failures_by_bucket ON replication_failures(bucket, last_failure_ms);
CREATE INDEX replication_failures_by_destination
    ON replication_failures(destination_bucket, last_failure_ms);
CREATE INDEX replication_failures_by_reason ON replication_failures(reason, last_failure_ms);
CREATE INDEX replication_failures_by_state ON replication_failures(state, last_failure_ms);
CREATE INDEX replication_failures_by_state_rule
    ON replication_failures(state, rule_id, last_failure_ms);
CREATE INDEX replication_failures_by_state_reason
    ON replication_failures(state, reason, last_failure_ms);

-- Counts per (rule, reason, state), kept by triggers so that the summary never scans the
-- failures (a million rows take far longer to count than an admin call may).
CREATE TABLE replication_failure_counts (
    rule_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (rule_id, reason, state)
) WITHOUT ROWID;

CREATE TRIGGER replication_failures_counted_insert AFTER INSERT ON replication_failures
BEGIN
    INSERT INTO replication_failure_counts (rule_id, reason, state, count)
    VALUES (new.rule_id, new.reason, new.state, 1)
    ON CONFLICT (rule_id, reason, state) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER replication_failures_counted_delete AFTER DELETE ON replication_failures
BEGIN
    UPDATE replication_failure_counts SET count = count - 1
    WHERE rule_id = old.rule_id AND reason = old.reason AND state = old.state;
END;

CREATE TRIGGER replication_failures_counted_update
AFTER UPDATE OF rule_id, reason, state ON replication_failures
WHEN old.rule_id IS NOT new.rule_id OR old.reason IS NOT new.reason OR old.state IS NOT new.state
BEGIN
    UPDATE replication_failure_counts SET count = count - 1
    WHERE rule_id = old.rule_id AND reason = old.reason AND state = old.state;
    INSERT INTO replication_failure_counts (rule_id, reason, state, count)
    VALUES (new.rule_id, new.reason, new.state, 1)
    ON CONFLICT (rule_id, reason, state) DO UPDATE SET count = count + 1;
END;
