-- A bucket's server access logging configuration (PutBucketLogging): its BucketLoggingStatus
-- as Ferry renders it. NULL: logging disabled.
ALTER TABLE buckets ADD COLUMN logging TEXT;
