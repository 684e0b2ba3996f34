-- Object Ownership, Block Public Access and CORS of a bucket (docs/access-control.md).
-- object_ownership: BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter; NULL: no
-- OwnershipControls (the bucket behaves as ObjectWriter, as on AWS). New buckets get
-- BucketOwnerEnforced; buckets made before this migration already behaved so (the bucket
-- owner owned every object and ACLs did not grant access), so they keep it.
ALTER TABLE buckets ADD COLUMN object_ownership TEXT;
UPDATE buckets SET object_ownership = 'BucketOwnerEnforced';
-- The four Block Public Access flags as a JSON array; NULL: no configuration (buckets made
-- before this migration, as AWS left buckets made before April 2023).
ALTER TABLE buckets ADD COLUMN public_access_block TEXT;
-- The CORSConfiguration as PutBucketCors received it; NULL: none.
ALTER TABLE buckets ADD COLUMN cors TEXT;
