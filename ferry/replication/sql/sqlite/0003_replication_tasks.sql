-- What the replication engine still owes: one row per (version, destination, operation).
-- Written by the planner in the same transaction as the version it replicates; a completed
-- task's row is deleted, a permanently failed one stays with its AWS failure reason.
CREATE TABLE replication_tasks (
    task_id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    destination_bucket TEXT NOT NULL,
    storage_class TEXT,
    on_replica INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    leased_until_ms INTEGER NOT NULL DEFAULT 0,
    failure_reason TEXT,
    last_error TEXT,
    first_failure_ms INTEGER,
    last_attempt_ms INTEGER
);
CREATE INDEX replication_tasks_due ON replication_tasks(status, due_ms);
CREATE INDEX replication_tasks_by_key ON replication_tasks(bucket, key, destination_bucket, task_id);
CREATE INDEX replication_tasks_by_version ON replication_tasks(bucket, key, version_id);
