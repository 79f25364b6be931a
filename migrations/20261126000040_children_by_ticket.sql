-- A sync checks, for each ticket whose children it fetched, which of the ticket's comments and
-- attachments are gone (`mark_missing_children`, by `fields->>'ticket'`). Without these indexes
-- each check scanned every comment and attachment of the account, which made an initial sync
-- quadratic in the account's size (50 ms per ticket at 50,000 comments).
CREATE INDEX comments_by_ticket ON comments (linked_account_id, (fields->>'ticket'));
CREATE INDEX attachments_by_ticket ON attachments (linked_account_id, (fields->>'ticket'));
