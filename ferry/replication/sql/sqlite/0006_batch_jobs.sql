-- S3 Batch Replication jobs (S3 Control S3ReplicateObject) and their manifest, one row per
-- version to replicate. A job's entries become replication tasks tagged with its job_id; the
-- job runner moves an entry QUEUED → RUNNING (in the transaction that enqueues its tasks) →
-- SUCCEEDED/FAILED (in the transaction that counts it), so a restart neither skips an entry
-- nor counts one twice.
CREATE TABLE batch_jobs (
    job_id TEXT PRIMARY KEY,
    client_request_token TEXT NOT NULL UNIQUE,
    request_xml BLOB NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    confirmation_required INTEGER NOT NULL,
    description TEXT,
    role_arn TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status_update_reason TEXT,
    failure_code TEXT,
    failure_reason TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    generated_manifest TEXT,
    created_ms INTEGER NOT NULL,
    suspended_ms INTEGER,
    active_since_ms INTEGER,
    active_ms INTEGER NOT NULL DEFAULT 0,
    terminated_ms INTEGER
);
CREATE INDEX batch_jobs_by_status ON batch_jobs(status, priority);

CREATE TABLE batch_job_entries (
    job_id TEXT NOT NULL REFERENCES batch_jobs(job_id),
    seq INTEGER NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT,
    status TEXT NOT NULL,
    http_status INTEGER,
    error_code TEXT,
    message TEXT,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX batch_job_entries_by_status ON batch_job_entries(job_id, status, seq);

ALTER TABLE replication_tasks ADD COLUMN job_id TEXT;
CREATE INDEX replication_tasks_by_job ON replication_tasks(job_id, bucket, key, version_id);
