-- The organization's audit trail (`GET /audit-trail`): who did what, from where, when.
-- Event types and roles are Merge's wire values (EventTypeEnum, RoleEnum).

CREATE TABLE audit_events (
    organization_id   uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    user_name         text,
    user_email        text,
    role              text NOT NULL,
    ip_address        text NOT NULL DEFAULT '',
    event_type        text NOT NULL,
    event_description text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX audit_events_keyset ON audit_events (organization_id, created_at, id);
