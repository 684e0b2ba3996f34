ALTER TABLE buckets ADD COLUMN replication TEXT;
