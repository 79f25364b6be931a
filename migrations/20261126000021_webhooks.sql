-- Outbound webhooks to the product (Merge's webhook format, signed): receiver endpoints per
-- organization, a durable outbox of events, one delivery per endpoint and event (retried on a
-- schedule), and the log of every attempt.

CREATE TABLE webhook_endpoints (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    url             text NOT NULL,
    -- Event names delivered to this endpoint; empty: every event.
    events          text[] NOT NULL DEFAULT '{}',
    -- The signing secret, encrypted under the master key (shown once, at creation).
    secret          bytea NOT NULL,
    description     text,
    is_active       boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- Start of the current run of failed attempts (NULL after a success).
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX webhook_endpoints_keyset ON webhook_endpoints (organization_id, created_at, id);

-- Events waiting to be fanned out to the endpoints (rows are removed once fanned out).
-- linked_account_id has no foreign key: a LinkedAccount.deleted event outlives its account.
CREATE TABLE webhook_events (
    organization_id   uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    event             text NOT NULL,
    linked_account_id uuid,
    linked_account    jsonb NOT NULL,
    data              jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX webhook_events_order ON webhook_events (created_at);

-- One message per endpoint and event; `id` is the `webhook-id` of every attempt.
CREATE TABLE webhook_deliveries (
    organization_id   uuid NOT NULL,
    id                uuid NOT NULL,
    endpoint_id       uuid NOT NULL,
    event             text NOT NULL,
    linked_account_id uuid,
    -- The exact body sent (and signed) on every attempt.
    body              text NOT NULL,
    -- 'pending', 'delivered', 'failed' (schedule exhausted) or 'cancelled' (endpoint disabled).
    status            text NOT NULL DEFAULT 'pending',
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    locked_by         text,
    locked_until      timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, endpoint_id)
        REFERENCES webhook_endpoints (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint
    ON webhook_deliveries (organization_id, endpoint_id, created_at, id);

CREATE TABLE webhook_attempts (
    organization_id uuid NOT NULL,
    id              uuid NOT NULL,
    delivery_id     uuid NOT NULL,
    attempt         integer NOT NULL,
    started_at      timestamptz NOT NULL,
    duration_ms     integer NOT NULL,
    response_status integer,
    error           text,
    -- The start of the receiver's answer (at most 1 KiB).
    response_body   text,
    succeeded       boolean NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, delivery_id)
        REFERENCES webhook_deliveries (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (organization_id, delivery_id, attempt);

-- Linked-account events, written in the same transaction as the change (a transactional
-- outbox): linked (created, or relinked back to COMPLETE), relink_needed, deleted. Only
-- identifying fields of the account are copied: never credentials or tokens.
CREATE FUNCTION deskbridge_linked_account_event() RETURNS trigger AS $$
DECLARE
    acct linked_accounts;
    ev text;
    payload jsonb := '{}'::jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        acct := NEW;
        ev := 'LinkedAccount.linked';
        payload := jsonb_build_object('is_relink', false);
    ELSIF TG_OP = 'DELETE' THEN
        acct := OLD;
        ev := 'LinkedAccount.deleted';
    ELSIF NEW.status = 'RELINK_NEEDED' AND OLD.status IS DISTINCT FROM 'RELINK_NEEDED' THEN
        acct := NEW;
        ev := 'LinkedAccount.relink_needed';
        payload := jsonb_build_object('reason', NEW.status_detail);
    ELSIF NEW.status = 'COMPLETE'
          AND (OLD.status IS DISTINCT FROM 'COMPLETE' OR NEW.completed_at IS DISTINCT FROM OLD.completed_at) THEN
        acct := NEW;
        ev := 'LinkedAccount.linked';
        payload := jsonb_build_object('is_relink', true);
    ELSE
        RETURN NULL;
    END IF;
    -- Nobody listens (or the organization itself is being deleted): no event.
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e
                   WHERE e.organization_id = acct.organization_id AND e.is_active)
       OR NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = acct.organization_id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_events (organization_id, id, event, linked_account_id, linked_account, data)
    VALUES (acct.organization_id, gen_random_uuid(), ev, acct.id,
            jsonb_build_object(
                'id', acct.id,
                'integration', initcap(acct.integration),
                'integration_slug', acct.integration,
                'category', 'ticketing',
                'end_user_origin_id', acct.end_user_origin_id,
                'end_user_organization_name', acct.end_user_organization_name,
                'end_user_email_address', acct.end_user_email_address,
                'status', CASE WHEN TG_OP = 'DELETE' THEN 'DELETED' ELSE acct.status END,
                'webhook_listener_url', '',
                'is_duplicate', false),
            payload);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER linked_accounts_webhook_events
    AFTER INSERT OR DELETE OR UPDATE OF status, completed_at ON linked_accounts
    FOR EACH ROW EXECUTE FUNCTION deskbridge_linked_account_event();
