CREATE TABLE batch_jobs (
    job_id TEXT COLLATE "C" PRIMARY KEY,
    client_request_token TEXT COLLATE "C" NOT NULL UNIQUE,
    request_xml BYTEA NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    priority BIGINT NOT NULL,
    confirmation_required BIGINT NOT NULL,
    description TEXT,
    role_arn TEXT NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    status_update_reason TEXT,
    failure_code TEXT,
    failure_reason TEXT,
    total BIGINT NOT NULL DEFAULT 0,
    succeeded BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    generated_manifest TEXT,
    created_ms BIGINT NOT NULL,
    suspended_ms BIGINT,
    active_since_ms BIGINT,
    active_ms BIGINT NOT NULL DEFAULT 0,
    terminated_ms BIGINT
);
CREATE INDEX batch_jobs_by_status ON batch_jobs(status, priority);

CREATE TABLE batch_job_entries (
    job_id TEXT COLLATE "C" NOT NULL REFERENCES batch_jobs(job_id),
    seq BIGINT NOT NULL,
    bucket TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    version_id TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    http_status BIGINT,
    error_code TEXT,
    message TEXT,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX batch_job_entries_by_status ON batch_job_entries(job_id, status, seq);

ALTER TABLE replication_tasks ADD COLUMN job_id TEXT COLLATE "C";
CREATE INDEX replication_tasks_by_job ON replication_tasks(job_id, bucket, key, version_id);
