-- Server-side encryption (docs/encryption.md). `encryption` is NULL for plaintext bodies, else
-- the JSON of store.records.Encryption: kind, wrapped data key, KMS key ARN and context, SSE-C
-- key check (salt + HMAC, never the key), frame size.
ALTER TABLE versions ADD COLUMN encryption TEXT;
ALTER TABLE uploads ADD COLUMN encryption TEXT;
-- Bytes at rest of an encrypted part (frames add overhead); NULL: the same as `size`.
ALTER TABLE parts ADD COLUMN stored_size INTEGER;

-- A bucket's default encryption (PutBucketEncryption); gone with the bucket.
CREATE TABLE bucket_encryption (
    bucket TEXT PRIMARY KEY REFERENCES buckets(name) ON DELETE CASCADE,
    algorithm TEXT NOT NULL,
    kms_key_id TEXT,
    bucket_key_enabled INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
