-- Provider metadata per linked account (e.g. Freshdesk ticket_fields: status labels,
-- custom fields), refreshed by every sync.
CREATE TABLE provider_metadata (
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    key               text NOT NULL,
    value             jsonb NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (linked_account_id, key)
);
