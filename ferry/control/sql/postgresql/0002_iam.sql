-- PostgreSQL twin of ../sqlite/0002_iam.sql. IAM names are unique per account without
-- regard to case, as in AWS: SQLite's COLLATE NOCASE is an ICU collation here.
CREATE COLLATION IF NOT EXISTS ferry_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE accounts (
    account_id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE ferry_nocase NOT NULL UNIQUE,
    canonical_id TEXT COLLATE "C" NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);

CREATE TABLE iam_users (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    name TEXT COLLATE ferry_nocase NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL UNIQUE,
    path TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE access_keys (
    access_key_id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    user_name TEXT COLLATE ferry_nocase,
    sealed_secret BYTEA NOT NULL,
    status TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE INDEX access_keys_by_user ON access_keys (account_id, user_name);

CREATE TABLE iam_roles (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    name TEXT COLLATE ferry_nocase NOT NULL,
    role_id TEXT COLLATE "C" NOT NULL UNIQUE,
    path TEXT COLLATE "C" NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_s BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_inline_policies (
    account_id TEXT COLLATE "C" NOT NULL,
    holder_kind TEXT COLLATE "C" NOT NULL,
    holder_name TEXT COLLATE ferry_nocase NOT NULL,
    policy_name TEXT COLLATE ferry_nocase NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (account_id, holder_kind, holder_name, policy_name)
);

CREATE TABLE iam_managed_policies (
    arn TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (account_id),
    name TEXT COLLATE ferry_nocase NOT NULL,
    policy_id TEXT COLLATE "C" NOT NULL UNIQUE,
    path TEXT COLLATE "C" NOT NULL,
    description TEXT,
    document TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE iam_attachments (
    account_id TEXT COLLATE "C" NOT NULL,
    holder_kind TEXT COLLATE "C" NOT NULL,
    holder_name TEXT COLLATE ferry_nocase NOT NULL,
    policy_arn TEXT COLLATE "C" NOT NULL REFERENCES iam_managed_policies (arn),
    PRIMARY KEY (account_id, holder_kind, holder_name, policy_arn)
);

CREATE INDEX iam_attachments_by_policy ON iam_attachments (policy_arn);
