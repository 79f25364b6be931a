-- Relinking to a different helpdesk: the resolved base URL of the helpdesk an account is linked
-- to (NULL for accounts linked before it was recorded; the typed domain is compared then), and
-- a counter that grows each time a relink changes the helpdesk. The old helpdesk's records,
-- checkpoints, metadata and runs are deleted in the relink's transaction (record ids restart in
-- every helpdesk), and subscribers get `LinkedAccount.helpdesk_changed`.
ALTER TABLE linked_accounts ADD COLUMN base_url text;
ALTER TABLE linked_accounts ADD COLUMN helpdesk_generation integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION deskbridge_linked_account_event() RETURNS trigger AS $$
DECLARE
    acct linked_accounts;
    evs text[] := ARRAY[]::text[];
    payloads jsonb[] := ARRAY[]::jsonb[];
    i integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        acct := NEW;
        evs := ARRAY['LinkedAccount.linked'];
        payloads := ARRAY[jsonb_build_object('is_relink', false)];
    ELSIF TG_OP = 'DELETE' THEN
        acct := OLD;
        evs := ARRAY['LinkedAccount.deleted'];
        payloads := ARRAY['{}'::jsonb];
    ELSE
        acct := NEW;
        IF NEW.helpdesk_generation IS DISTINCT FROM OLD.helpdesk_generation THEN
            evs := array_append(evs, 'LinkedAccount.helpdesk_changed');
            payloads := array_append(payloads, jsonb_build_object(
                'previous_domain', OLD.subdomain, 'domain', NEW.subdomain,
                'previous_records_deleted', true));
        END IF;
        IF NEW.status = 'RELINK_NEEDED' AND OLD.status IS DISTINCT FROM 'RELINK_NEEDED' THEN
            evs := array_append(evs, 'LinkedAccount.relink_needed');
            payloads := array_append(payloads, jsonb_build_object('reason', NEW.status_detail));
        ELSIF NEW.status = 'COMPLETE'
              AND (OLD.status IS DISTINCT FROM 'COMPLETE' OR NEW.completed_at IS DISTINCT FROM OLD.completed_at) THEN
            evs := array_append(evs, 'LinkedAccount.linked');
            payloads := array_append(payloads, jsonb_build_object('is_relink', true));
        END IF;
    END IF;
    IF cardinality(evs) = 0 THEN
        RETURN NULL;
    END IF;
    -- Nobody listens (or the organization itself is being deleted): no event.
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints e
                   WHERE e.organization_id = acct.organization_id AND e.is_active)
       OR NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = acct.organization_id) THEN
        RETURN NULL;
    END IF;
    FOR i IN 1 .. cardinality(evs) LOOP
        INSERT INTO webhook_events (organization_id, id, event, linked_account_id, linked_account, data)
        VALUES (acct.organization_id, gen_random_uuid(), evs[i], acct.id,
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
                payloads[i]);
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER linked_accounts_webhook_events ON linked_accounts;
CREATE TRIGGER linked_accounts_webhook_events
    AFTER INSERT OR DELETE OR UPDATE OF status, completed_at, helpdesk_generation ON linked_accounts
    FOR EACH ROW EXECUTE FUNCTION deskbridge_linked_account_event();
