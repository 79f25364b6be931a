-- The queue of tickets whose comments and attachments are due moves out of the tickets table.
-- As a flag on the ticket row, clearing it rewrote each synced ticket a second time, and not as
-- a HOT update (the flag is in a partial index's predicate): every index of the table got a
-- new entry for every ticket of an initial sync. A row here is a few dozen bytes, written by
-- the ticket's upsert statement and deleted when its children are stored.
--
-- `flagged` changes each time the ticket is flagged again: the sync fetches a ticket's children
-- while later pages are written, and a ticket that changed again meanwhile must stay queued, so
-- a row is deleted only when its `flagged` is the one read before the fetch.
CREATE SEQUENCE ticket_children_due_flagged_seq;
CREATE TABLE ticket_children_due (
    linked_account_id uuid NOT NULL REFERENCES linked_accounts(id) ON DELETE CASCADE,
    remote_id         text NOT NULL,
    flagged           bigint NOT NULL DEFAULT nextval('ticket_children_due_flagged_seq'),
    PRIMARY KEY (linked_account_id, remote_id)
);
ALTER SEQUENCE ticket_children_due_flagged_seq OWNED BY ticket_children_due.flagged;

INSERT INTO ticket_children_due (linked_account_id, remote_id)
SELECT linked_account_id, remote_id FROM tickets WHERE needs_children;
UPDATE tickets SET needs_children = false WHERE needs_children;

-- Expand/contract: the `needs_children` columns and their partial index are no longer written
-- or read, and stay for one release so that the previous release's worker still runs on this
-- schema (the benchmarks measure both releases on the same database, docs/BENCHMARKS.md §2).
-- The next release's migration drops them.
