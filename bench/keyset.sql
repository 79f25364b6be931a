-- pgbench script of `deskbridge-bench read`: the keyset page query of
-- GET /api/ticketing/v1/tickets?page_size=100 (crates/store/src/records.rs, list_records) at a
-- random position, straight to PostgreSQL. Variables (-D): org, la (uuids), base (epoch
-- seconds of the oldest created_at) and span (microseconds from it to the newest). Run with
-- -M prepared, as sqlx does.
\set t random(0, :span)
SELECT r.id, r.remote_id, r.fields, NULL::jsonb AS remote_data, r.is_shell, r.remote_was_deleted,
       r.created_at, r.modified_at
FROM tickets r JOIN linked_accounts la ON la.id = r.linked_account_id
WHERE la.organization_id = (:org)::uuid AND r.linked_account_id = (:la)::uuid
  AND NOT r.remote_was_deleted AND NOT r.is_shell
  AND (r.created_at, r.id) > (to_timestamp((:base)::float8 + (:t)::float8 / 1e6),
                              '00000000-0000-0000-0000-000000000000'::uuid)
ORDER BY r.created_at, r.id LIMIT 101;
