-- The bucket directory: which region holds each bucket of the deployment, and who owns it.
-- The primary key is what makes bucket names unique across every region.
CREATE TABLE bucket_directory (
    name TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE INDEX bucket_directory_by_owner ON bucket_directory (owner_id, name);
