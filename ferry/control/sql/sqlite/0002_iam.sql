-- Accounts and IAM: users, access keys, roles, inline and managed policies, attachments.
-- IAM names are unique per account without regard to case, as in AWS (COLLATE NOCASE).

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,          -- 12 digits
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    canonical_id TEXT NOT NULL UNIQUE,    -- sha256("ferry-account:{account_id}"), S3's owner ID
    created_ms INTEGER NOT NULL
);

CREATE TABLE iam_users (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    name TEXT NOT NULL COLLATE NOCASE,
    user_id TEXT NOT NULL UNIQUE,         -- AIDA...
    path TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);

-- A key of an IAM user, or (user_name NULL) of the account's root user. The secret is sealed
-- with a key derived from the deployment root secret (control/sealing.py), never stored plain.
CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    user_name TEXT COLLATE NOCASE,
    sealed_secret BLOB NOT NULL,
    status TEXT NOT NULL,                 -- Active | Inactive
    created_ms INTEGER NOT NULL
);

CREATE INDEX access_keys_by_user ON access_keys (account_id, user_name);

CREATE TABLE iam_roles (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    name TEXT NOT NULL COLLATE NOCASE,
    role_id TEXT NOT NULL UNIQUE,         -- AROA...
    path TEXT NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_s INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);

-- Inline policies of users and roles (holder_kind 'user' | 'role').
CREATE TABLE iam_inline_policies (
    account_id TEXT NOT NULL,
    holder_kind TEXT NOT NULL,
    holder_name TEXT NOT NULL COLLATE NOCASE,
    policy_name TEXT NOT NULL COLLATE NOCASE,
    document TEXT NOT NULL,
    PRIMARY KEY (account_id, holder_kind, holder_name, policy_name)
);

CREATE TABLE iam_managed_policies (
    arn TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    name TEXT NOT NULL COLLATE NOCASE,
    policy_id TEXT NOT NULL UNIQUE,       -- ANPA...
    path TEXT NOT NULL,
    description TEXT,
    document TEXT NOT NULL,               -- version v1, the default (no policy versions yet)
    created_ms INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE iam_attachments (
    account_id TEXT NOT NULL,
    holder_kind TEXT NOT NULL,
    holder_name TEXT NOT NULL COLLATE NOCASE,
    policy_arn TEXT NOT NULL REFERENCES iam_managed_policies (arn),
    PRIMARY KEY (account_id, holder_kind, holder_name, policy_arn)
);

CREATE INDEX iam_attachments_by_policy ON iam_attachments (policy_arn);
