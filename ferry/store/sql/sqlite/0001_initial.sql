-- Buckets of this region. Configurations are stored as the documents clients sent.
CREATE TABLE buckets (
    name TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    region TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    versioning TEXT NOT NULL DEFAULT '',
    acl TEXT NOT NULL DEFAULT '[]',
    tags TEXT
);

-- Every version of every key, delete markers included. seq orders versions of a key.
CREATE TABLE versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL REFERENCES buckets(name),
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    is_latest INTEGER NOT NULL,
    is_delete_marker INTEGER NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    content_headers TEXT NOT NULL DEFAULT '{}',
    user_metadata TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    acl TEXT NOT NULL DEFAULT '[]',
    checksum_algorithm TEXT,
    checksum_value TEXT,
    checksum_type TEXT,
    parts TEXT,
    body_inline BLOB,
    segments TEXT NOT NULL DEFAULT '',
    replication_status TEXT
);
CREATE UNIQUE INDEX versions_by_key_version ON versions(bucket, key, version_id);
CREATE INDEX versions_by_key_seq ON versions(bucket, key, seq);
CREATE INDEX versions_latest ON versions(bucket, key) WHERE is_latest = 1;

-- Multipart uploads in progress and their parts (parts are always blob files).
CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL REFERENCES buckets(name),
    key TEXT NOT NULL,
    initiated_ms INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    content_headers TEXT NOT NULL DEFAULT '{}',
    user_metadata TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    acl TEXT NOT NULL DEFAULT '[]',
    checksum_algorithm TEXT,
    checksum_type TEXT
);
CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated_ms);

CREATE TABLE parts (
    upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum_value TEXT,
    blob_id TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
