CREATE TABLE kms_keys (
    key_id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    key_state TEXT NOT NULL,
    key_manager TEXT NOT NULL,
    key_usage TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    deletion_ms BIGINT,
    wrapped_material BYTEA NOT NULL
);
CREATE INDEX kms_keys_by_account ON kms_keys(account_id, key_id);

CREATE TABLE kms_aliases (
    account_id TEXT COLLATE "C" NOT NULL,
    alias_name TEXT COLLATE "C" NOT NULL,
    key_id TEXT COLLATE "C" NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, alias_name)
);
CREATE INDEX kms_aliases_by_key ON kms_aliases(key_id);
