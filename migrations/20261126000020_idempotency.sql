-- Idempotency keys of write requests (`Idempotency-Key` on POST), per linked account, kept
-- 24 hours: the first result is stored and answered again for the same key and body.

CREATE TABLE idempotency_keys (
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    key               text NOT NULL,
    -- SHA-256 of the method, path and canonical JSON body of the first request.
    request_hash      bytea NOT NULL,
    -- 'pending' while the first request runs, then 'done'.
    status            text NOT NULL DEFAULT 'pending',
    response_status   integer,
    response_body     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    PRIMARY KEY (linked_account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
