-- A bucket's replication configuration: the ReplicationConfiguration document as Ferry
-- renders it for GetBucketReplication (rule IDs filled in). NULL: no configuration.
ALTER TABLE buckets ADD COLUMN replication TEXT;
