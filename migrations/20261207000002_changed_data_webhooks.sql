-- Changed-data webhooks ({Model}.added|changed|removed, carrying the record): an initial sync
-- of a large helpdesk would otherwise queue one event per record, so an endpoint receives
-- the changes of an account's initial sync only when it opts in.
ALTER TABLE webhook_endpoints ADD COLUMN include_initial_sync boolean NOT NULL DEFAULT false;
-- Set on changed-data events written before the account's first successful sync: fanned out
-- only to endpoints with include_initial_sync.
ALTER TABLE webhook_events ADD COLUMN from_initial_sync boolean NOT NULL DEFAULT false;
