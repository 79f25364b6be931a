-- Deskbridge initial schema: tenants, keys, linked accounts, synced records, sync state, jobs.
-- Every tenant table is keyed by linked_account_id (or organization_id) first, so it can be
-- distributed by that column (Citus) and every query is scoped by construction.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name            text NOT NULL,
    prefix          text NOT NULL,
    key_hash        bytea NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX api_keys_org ON api_keys (organization_id);

CREATE TABLE linked_accounts (
    id                          uuid PRIMARY KEY,
    organization_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    integration                 text NOT NULL,
    end_user_origin_id          text NOT NULL,
    end_user_organization_name  text NOT NULL,
    end_user_email_address      text NOT NULL,
    subdomain                   text NOT NULL,
    status                      text NOT NULL DEFAULT 'COMPLETE',
    status_detail               text,
    credentials                 bytea NOT NULL,
    account_token_hash          bytea NOT NULL UNIQUE,
    account_token               bytea NOT NULL,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    completed_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, integration, end_user_origin_id)
);
CREATE INDEX linked_accounts_org ON linked_accounts (organization_id, created_at, id);

-- One table per common model, all of the same shape.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tickets','comments','users','contacts','accounts','teams','tags','roles',
                           'attachments','collections','projects']
  LOOP
    EXECUTE format($f$
      CREATE TABLE %1$I (
          linked_account_id   uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
          id                  uuid NOT NULL,
          remote_id           text NOT NULL,
          fields              jsonb NOT NULL DEFAULT '{}'::jsonb,
          remote_data         jsonb,
          content_hash        bytea,
          is_shell            boolean NOT NULL DEFAULT false,
          remote_was_deleted  boolean NOT NULL DEFAULT false,
          needs_children      boolean NOT NULL DEFAULT false,
          created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
          modified_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
          PRIMARY KEY (linked_account_id, id),
          UNIQUE (linked_account_id, remote_id)
      );
      CREATE INDEX %1$s_keyset ON %1$I (linked_account_id, created_at, id);
      CREATE INDEX %1$s_modified ON %1$I (linked_account_id, modified_at);
    $f$, t);
  END LOOP;
END $$;
CREATE INDEX tickets_needs_children ON tickets (linked_account_id) WHERE needs_children;

CREATE TABLE sync_checkpoints (
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    stream            text NOT NULL,
    checkpoint        jsonb,
    run_id            uuid,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (linked_account_id, stream)
);

CREATE TABLE sync_runs (
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    is_initial        boolean NOT NULL,
    status            text NOT NULL,
    reason            text,
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    counts            jsonb NOT NULL DEFAULT '{}'::jsonb,
    calls             bigint NOT NULL DEFAULT 0,
    credits           bigint NOT NULL DEFAULT 0,
    rate_limited      bigint NOT NULL DEFAULT 0,
    error             text,
    PRIMARY KEY (linked_account_id, id)
);
CREATE INDEX sync_runs_latest ON sync_runs (linked_account_id, started_at DESC);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    kind              text NOT NULL,
    status            text NOT NULL DEFAULT 'queued',
    run_at            timestamptz NOT NULL DEFAULT now(),
    attempts          integer NOT NULL DEFAULT 0,
    locked_by         text,
    locked_until      timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- At most one queued and at most one running job of a kind per linked account.
CREATE UNIQUE INDEX jobs_one_queued ON jobs (linked_account_id, kind) WHERE status = 'queued';
CREATE UNIQUE INDEX jobs_one_running ON jobs (linked_account_id, kind) WHERE status = 'running';
CREATE INDEX jobs_ready ON jobs (run_at) WHERE status IN ('queued', 'running');
