-- Physical reference of the ingestion benchmark: how fast PostgreSQL itself writes the rows a
-- sync writes, with no HTTP, no JSON decoding in Deskbridge and no round trips. Run on the
-- database `deskbridge-bench ingest` left behind:
--
--   psql -h 127.0.0.1 -U postgres -d deskbridge_bench_100k -f bench/write_reference.sql
--
-- For tickets and comments it copies every stored row into an empty table with the same
-- columns, indexes and unique key, in one statement, sending the JSON through its text form
-- (as the sync's upserts do) and with the sync's ON CONFLICT clause. Rows per second =
-- rows ÷ the statement's time (psql's \timing). Ordinary (WAL-logged) tables, rolled back at the end.
\timing on
BEGIN;
CREATE TABLE ref_tickets (LIKE tickets INCLUDING ALL);
ALTER TABLE ref_tickets ADD UNIQUE (linked_account_id, remote_id);
CREATE TABLE ref_comments (LIKE comments INCLUDING ALL);
ALTER TABLE ref_comments ADD UNIQUE (linked_account_id, remote_id);
CREATE INDEX ON ref_comments (linked_account_id, (fields->>'ticket'));
SELECT count(*) AS tickets FROM tickets;
INSERT INTO ref_tickets AS r (linked_account_id, id, remote_id, fields, remote_data,
       content_hash, is_shell, remote_was_deleted, created_at, modified_at)
SELECT linked_account_id, id, remote_id, fields::text::jsonb, remote_data::text::jsonb,
       content_hash, is_shell, remote_was_deleted, clock_timestamp(), clock_timestamp()
FROM tickets
ON CONFLICT (linked_account_id, remote_id) DO UPDATE SET fields = EXCLUDED.fields
WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash;
SELECT count(*) AS comments FROM comments;
INSERT INTO ref_comments AS r (linked_account_id, id, remote_id, fields, remote_data,
       content_hash, is_shell, remote_was_deleted, created_at, modified_at)
SELECT linked_account_id, id, remote_id, fields::text::jsonb, remote_data::text::jsonb,
       content_hash, is_shell, remote_was_deleted, clock_timestamp(), clock_timestamp()
FROM comments
ON CONFLICT (linked_account_id, remote_id) DO UPDATE SET fields = EXCLUDED.fields
WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash;
ROLLBACK;
