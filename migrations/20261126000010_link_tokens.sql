-- The Link flow: link tokens (backend → hosted Link page) and public tokens (Link page →
-- backend, exchanged for the account token). Both are stored only as keyed hashes
-- (HMAC-SHA256 under the master key), never in clear; both are single-use and expire.

CREATE TABLE link_tokens (
    organization_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id                          uuid NOT NULL,
    token_hash                  bytea NOT NULL UNIQUE,
    -- The integration chosen by the backend (NULL: the end user picks one).
    integration                 text,
    end_user_origin_id          text NOT NULL,
    end_user_organization_name  text NOT NULL,
    end_user_email_address      text NOT NULL,
    expires_at                  timestamptz NOT NULL,
    -- Set once, when the end user completed linking with this token.
    used_at                     timestamptz,
    linked_account_id           uuid REFERENCES linked_accounts(id) ON DELETE CASCADE,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX link_tokens_expiry ON link_tokens (organization_id, expires_at);

CREATE TABLE public_tokens (
    organization_id   uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token_hash        bytea NOT NULL,
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, token_hash)
);
CREATE INDEX public_tokens_account ON public_tokens (linked_account_id);
