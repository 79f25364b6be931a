-- Lists filtered by modification time (`modified_after` / `modified_before`, the "what changed
-- since T" poll a product runs every minute) page by `(modified_at, id)`. This index serves
-- the account, the time filter, the order and the keyset condition in one range scan, so a
-- page costs index time whatever share of the account's rows matches (with the `created_at`
-- order, a filter matching many rows scanned the created_at index from its start until a page
-- had matched: p99 228 ms at 100,000 tickets). It supersedes the `(linked_account_id,
-- modified_at)` index, whose every use it serves, so that one is dropped rather than kept as a
-- second index to write.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tickets','comments','users','contacts','accounts','teams','tags','roles',
                           'attachments','collections','projects']
  LOOP
    EXECUTE format('CREATE INDEX %I ON %I (linked_account_id, modified_at, id)',
                   t || '_modified_keyset', t);
    EXECUTE format('DROP INDEX %I', t || '_modified');
  END LOOP;
END $$;
