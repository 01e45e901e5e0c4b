-- memgraph schema 14: a claim that splits a batch with nothing to embed goes on to the next batch.
--
-- Schema 13's claim split at most one batch (the oldest) when it found fewer due jobs than it
-- could take. A batch whose nodes were all soft-deleted or opted out since the insert splits into
-- no jobs, so that claim returned nothing although other batches waited, and the worker, seeing an
-- empty queue, slept until its next sweep (5 s by default) before it asked again. Now the claim
-- keeps splitting the oldest remaining batch until it has `batch` jobs or no batch is left, at most
-- 16 batches a call (batches other workers hold locked are skipped, so a call never waits on them
-- and never loops for long).
--
-- The return of expired claims to the queue (schema 2's first statement of the claim) is now a
-- function of its own, so that a later version of the claim calls it instead of copying it.
CREATE FUNCTION memory.requeue_expired_claims(lease interval, max_claims integer) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, memory, public AS $$
    UPDATE memory.embedding_jobs j
    SET status = CASE WHEN j.claims >= max_claims THEN 'failed' ELSE 'pending' END,
        last_error = CASE WHEN j.claims >= max_claims
                          THEN 'abandoned by ' || j.claims || ' workers (did it crash them?)' ELSE j.last_error END,
        claimed_at = NULL, claimed_by = NULL, updated_at = now()
    WHERE j.status = 'processing' AND j.claimed_at < now() - lease
$$;
REVOKE ALL ON FUNCTION memory.requeue_expired_claims(interval, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION memory.claim_embedding_jobs(
    batch integer, worker text, lease interval, max_claims integer, only_user text DEFAULT NULL)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE
    claimed integer := 0;
    got integer;
    splits integer := 0;
BEGIN
    PERFORM memory.requeue_expired_claims(lease, max_claims);
    LOOP
        RETURN QUERY SELECT * FROM memory.claim_due_jobs(batch - claimed, worker, only_user);
        GET DIAGNOSTICS got = ROW_COUNT;
        claimed := claimed + got;
        EXIT WHEN claimed >= batch OR splits >= 16 OR NOT EXISTS (
            SELECT FROM memory.embedding_batches b WHERE only_user IS NULL OR b.user_id = only_user);
        splits := splits + 1;
        PERFORM memory.expand_embedding_batches(only_user, false, 1);
    END LOOP;
END $$;
