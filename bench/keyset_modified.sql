-- pgbench script of `deskbridge-bench read`: the page query of
-- GET /api/ticketing/v1/tickets?page_size=100&modified_after=… (crates/store/src/records/query.rs):
-- a list filtered by modification time pages by (modified_at, id), served by the index
-- (linked_account_id, modified_at, id), at a random position among the matching rows.
-- Variables (-D): org, la (uuids), modified (epoch seconds of T), base (epoch seconds of the
-- oldest matching modified_at) and span (microseconds from it to the newest). Run with
-- -M prepared, as sqlx does.
\set t random(0, :span)
SELECT r.id, r.remote_id, r.fields, NULL::jsonb AS remote_data, r.is_shell, r.remote_was_deleted,
       r.created_at, r.modified_at
FROM tickets r JOIN linked_accounts la ON la.id = r.linked_account_id
WHERE la.organization_id = (:org)::uuid AND r.linked_account_id = (:la)::uuid
  AND NOT r.remote_was_deleted AND NOT r.is_shell
  AND r.modified_at > to_timestamp((:modified)::float8)
  AND (r.modified_at, r.id) > (to_timestamp((:base)::float8 + (:t)::float8 / 1e6),
                               '00000000-0000-0000-0000-000000000000'::uuid)
ORDER BY r.modified_at, r.id LIMIT 101;
