-- Inbound pushes (helpdesk webhooks and automation rules) and the targeted syncs they start.
--
-- One hook per linked account. `id` is the hook's path segment; `secret_hash` the keyed hash
-- of the secret the helpdesk presents (as account tokens are kept: the secret itself is shown
-- once). A signing secret chosen by the helpdesk (it signs with it, so it must be readable) is
-- sealed under the master key, bound to its row. `installed` holds the ids of what Deskbridge
-- created in the helpdesk (to remove it at unlink, relink or rotation).
CREATE TABLE push_hooks (
    id                 uuid PRIMARY KEY,
    organization_id    uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    linked_account_id  uuid NOT NULL UNIQUE REFERENCES linked_accounts(id) ON DELETE CASCADE,
    secret_hash        bytea NOT NULL,
    signing_secret     bytea,
    installed          jsonb,
    install_error      text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_push_at       timestamptz
);

-- Accepted pushes per hook and minute: "pushes in the last hour" without a row per push.
CREATE TABLE push_counts (
    hook_id  uuid NOT NULL REFERENCES push_hooks(id) ON DELETE CASCADE,
    minute   timestamptz NOT NULL,
    pushes   integer NOT NULL,
    PRIMARY KEY (hook_id, minute)
);

-- Signatures seen within the timestamp window: a replayed push is refused.
CREATE TABLE push_replays (
    hook_id     uuid NOT NULL REFERENCES push_hooks(id) ON DELETE CASCADE,
    replay_key  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (hook_id, replay_key)
);
CREATE INDEX push_replays_expiry ON push_replays (expires_at);

-- Tickets a push marked dirty, one row per ticket: a burst of pushes for one ticket is one
-- row and so one fetch. `due_at` lets a burst settle; `claimed_until` is a worker's lease.
CREATE TABLE push_dirty (
    linked_account_id  uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    remote_id          text NOT NULL,
    pushes             integer NOT NULL DEFAULT 1,
    first_at           timestamptz NOT NULL DEFAULT now(),
    due_at             timestamptz NOT NULL,
    claimed_by         text,
    claimed_until      timestamptz,
    attempts           integer NOT NULL DEFAULT 0,
    PRIMARY KEY (linked_account_id, remote_id)
);
CREATE INDEX push_dirty_due ON push_dirty (due_at);
