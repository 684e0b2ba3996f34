-- Account-level Block Public Access (S3 Control PutPublicAccessBlock): the four flags as a
-- JSON array. No row: the account has no configuration.
CREATE TABLE account_public_access_blocks (
    account_id TEXT PRIMARY KEY REFERENCES accounts (account_id),
    settings TEXT NOT NULL
);

-- The e-mail address of an account (lower-cased), which ACL grants may name
-- (emailAddress=..., AmazonCustomerByEmail); NULL: none.
ALTER TABLE accounts ADD COLUMN email TEXT;
CREATE UNIQUE INDEX accounts_by_email ON accounts (email);
