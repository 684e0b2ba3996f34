-- A bucket's policy: the document exactly as PutBucketPolicy received it (GetBucketPolicy
-- returns it byte for byte). NULL: no policy.
ALTER TABLE buckets ADD COLUMN policy TEXT;
