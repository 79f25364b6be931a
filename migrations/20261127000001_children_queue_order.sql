-- The sync takes the tickets whose children it must fetch with
-- `WHERE linked_account_id = $1 AND needs_children ORDER BY remote_id LIMIT n`. The partial index
-- on (linked_account_id) alone did not serve that order, so the planner walked the account's
-- whole (linked_account_id, remote_id) key filtering on the flag: 170 ms per call at 100,000
-- tickets, twice per page of 100, which made an initial sync quadratic in the account's size.
-- Keyed by remote id, the partial index serves the filter and the order in one short scan.
DROP INDEX tickets_needs_children;
CREATE INDEX tickets_needs_children ON tickets (linked_account_id, remote_id) WHERE needs_children;
