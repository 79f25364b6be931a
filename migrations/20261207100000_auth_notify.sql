-- Every change that a process's authentication cache depends on notifies `deskbridge_auth`
-- with the organization's id, in the writing transaction, whatever code path writes it: a key
-- revoked, replaced or deleted; an account token rotated; a linked account changed (its cached
-- columns) or deleted; an organization renamed or deleted. Each API process listens and drops
-- that organization's cached authentications (crates/store/src/auth_cache.rs). PostgreSQL
-- merges identical notifications of one transaction, so a cascade sends one per organization.

CREATE FUNCTION deskbridge_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('deskbridge_auth', '');
    ELSE
        -- TG_ARGV[0]: the column holding the organization's id.
        PERFORM pg_notify('deskbridge_auth', to_jsonb(OLD) ->> TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_auth_update AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN ((OLD.organization_id, OLD.key_hash, OLD.revoked_at)
          IS DISTINCT FROM (NEW.organization_id, NEW.key_hash, NEW.revoked_at))
    EXECUTE FUNCTION deskbridge_auth_changed('organization_id');
CREATE TRIGGER api_keys_auth_delete AFTER DELETE ON api_keys FOR EACH ROW
    EXECUTE FUNCTION deskbridge_auth_changed('organization_id');
CREATE TRIGGER api_keys_auth_truncate AFTER TRUNCATE ON api_keys FOR EACH STATEMENT
    EXECUTE FUNCTION deskbridge_auth_changed();

CREATE TRIGGER organizations_auth_update AFTER UPDATE ON organizations FOR EACH ROW
    WHEN ((OLD.id, OLD.name) IS DISTINCT FROM (NEW.id, NEW.name))
    EXECUTE FUNCTION deskbridge_auth_changed('id');
CREATE TRIGGER organizations_auth_delete AFTER DELETE ON organizations FOR EACH ROW
    EXECUTE FUNCTION deskbridge_auth_changed('id');
CREATE TRIGGER organizations_auth_truncate AFTER TRUNCATE ON organizations FOR EACH STATEMENT
    EXECUTE FUNCTION deskbridge_auth_changed();

-- The columns of a cached linked account (accounts.rs `COLUMNS`) and its token's hash.
CREATE TRIGGER linked_accounts_auth_update AFTER UPDATE ON linked_accounts FOR EACH ROW
    WHEN ((OLD.id, OLD.organization_id, OLD.integration, OLD.end_user_origin_id,
           OLD.end_user_organization_name, OLD.end_user_email_address, OLD.subdomain,
           OLD.status, OLD.status_detail, OLD.created_at, OLD.completed_at,
           OLD.account_token_hash)
          IS DISTINCT FROM
          (NEW.id, NEW.organization_id, NEW.integration, NEW.end_user_origin_id,
           NEW.end_user_organization_name, NEW.end_user_email_address, NEW.subdomain,
           NEW.status, NEW.status_detail, NEW.created_at, NEW.completed_at,
           NEW.account_token_hash))
    EXECUTE FUNCTION deskbridge_auth_changed('organization_id');
CREATE TRIGGER linked_accounts_auth_delete AFTER DELETE ON linked_accounts FOR EACH ROW
    EXECUTE FUNCTION deskbridge_auth_changed('organization_id');
CREATE TRIGGER linked_accounts_auth_truncate AFTER TRUNCATE ON linked_accounts FOR EACH STATEMENT
    EXECUTE FUNCTION deskbridge_auth_changed();
