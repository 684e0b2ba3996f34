-- The regional key service (ferry/crypto/kms.py). Keys are regional, as in AWS: this region's
-- database holds this region's keys; the ARN's region is the region that serves it.
-- `wrapped_material` is the key's 32 bytes sealed under the region master key
-- (AAD: "ferry-kms-key:{region}:{key_id}"), so a copied row or database is useless alone.
CREATE TABLE kms_keys (
    key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    key_state TEXT NOT NULL,
    key_manager TEXT NOT NULL,
    key_usage TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    deletion_ms INTEGER,
    wrapped_material BLOB NOT NULL
);
CREATE INDEX kms_keys_by_account ON kms_keys(account_id, key_id);

-- Aliases: `alias/name`, unique per account in this region.
CREATE TABLE kms_aliases (
    account_id TEXT NOT NULL,
    alias_name TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES kms_keys(key_id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, alias_name)
);
CREATE INDEX kms_aliases_by_key ON kms_aliases(key_id);
