-- A bucket's lifecycle configuration (docs/lifecycle.md), gone with the bucket: the
-- LifecycleConfiguration document as GetBucketLifecycleConfiguration returns it (rule IDs
-- filled in) and its x-amz-transition-default-minimum-object-size. `after_key` is the lifecycle
-- worker's checkpoint in the pass under way: every key up to it has been judged; NULL: no pass
-- is under way, the next one starts at the first key. It commits with the changes it covers,
-- so a worker killed mid-pass resumes where the last commit left it.
CREATE TABLE bucket_lifecycle (
    bucket TEXT PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    document TEXT NOT NULL,
    transition_min_size TEXT NOT NULL,
    after_key TEXT,
    pass_started_ms INTEGER
) WITHOUT ROWID;
