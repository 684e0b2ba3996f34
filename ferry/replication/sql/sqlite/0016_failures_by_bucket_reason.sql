-- A bucket's failures of one reason, newest first ("why does this bucket fail?"): the bucket
-- index alone reads every failure of the bucket to find that reason's (measured: the slowest
-- filtered page at 1,000,000 records).
CREATE INDEX replication_failures_by_bucket_reason
    ON replication_failures(bucket, reason, last_failure_ms);
