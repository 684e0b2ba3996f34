CREATE TABLE bucket_directory (
    name TEXT COLLATE "C" PRIMARY KEY,
    region TEXT NOT NULL,
    owner_id TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE INDEX bucket_directory_by_owner ON bucket_directory (owner_id, name);
