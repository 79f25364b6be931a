-- Keys Deskbridge keeps in the database, each sealed under the master key (AES-256-GCM bound to
-- its row). `token-hmac` keys the hashes of link, public and account tokens: it is not the
-- master key, so `keys rotate` re-seals it and every outstanding token keeps working. It is
-- created on first use from the master key of the time, which keeps the token hashes stored
-- before this table existed valid.
CREATE TABLE deskbridge_keys (
    name       text PRIMARY KEY,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
