-- Idempotency keys remember how far a write got, so that a write whose helpdesk call may
-- have been sent is never run again: 'pending' (claimed, nothing sent), 'sent' (the call
-- may have reached the helpdesk), 'remote' (the helpdesk wrote `remote_id`; storing it
-- locally is under way), 'unknown' (the request ended without a known outcome), 'done'.
ALTER TABLE idempotency_keys ADD COLUMN remote_id text;
-- Each claim gets its own id: a claim taken over after it went stale (its request seemed
-- dead) can no longer move the key on, so the old request never sends its write too.
ALTER TABLE idempotency_keys ADD COLUMN claim_id uuid;
