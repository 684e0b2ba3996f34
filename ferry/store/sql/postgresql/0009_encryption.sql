ALTER TABLE versions ADD COLUMN encryption TEXT;
ALTER TABLE uploads ADD COLUMN encryption TEXT;
ALTER TABLE parts ADD COLUMN stored_size BIGINT;

CREATE TABLE bucket_encryption (
    bucket TEXT COLLATE "C" PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    algorithm TEXT NOT NULL,
    kms_key_id TEXT,
    bucket_key_enabled BIGINT NOT NULL DEFAULT 0
);
