-- memgraph schema 14: a claim that splits a batch with nothing to embed goes on to the next batch.
--
-- Schema 13's claim split at most one batch (the oldest) when it found fewer due jobs than it
-- could take. A batch whose nodes were all soft-deleted or opted out since the insert splits into
-- no jobs, so that claim returned nothing although other batches waited, and the worker, seeing an
-- empty queue, slept until its next sweep (5 s by default) before it asked again. Now the claim
-- keeps splitting the oldest remaining batch until it has `batch` jobs or no batch is left, at most
-- 16 batches a call (batches other workers hold locked are skipped, so a call never waits on them
-- and never loops for long).
CREATE OR REPLACE FUNCTION memory.claim_embedding_jobs(
    batch integer, worker text, lease interval, max_claims integer, only_user text DEFAULT NULL)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE
    claimed integer;
    got integer;
    splits integer := 0;
BEGIN
    UPDATE memory.embedding_jobs j
    SET status = CASE WHEN j.claims >= max_claims THEN 'failed' ELSE 'pending' END,
        last_error = CASE WHEN j.claims >= max_claims
                          THEN 'abandoned by ' || j.claims || ' workers (did it crash them?)' ELSE j.last_error END,
        claimed_at = NULL, claimed_by = NULL, updated_at = now()
    WHERE j.status = 'processing' AND j.claimed_at < now() - lease;

    RETURN QUERY SELECT * FROM memory.claim_due_jobs(batch, worker, only_user);
    GET DIAGNOSTICS claimed = ROW_COUNT;
    WHILE claimed < batch AND splits < 16 AND EXISTS (
        SELECT FROM memory.embedding_batches b WHERE only_user IS NULL OR b.user_id = only_user)
    LOOP
        splits := splits + 1;
        IF memory.expand_embedding_batches(only_user, false, 1) > 0 THEN
            RETURN QUERY SELECT * FROM memory.claim_due_jobs(batch - claimed, worker, only_user);
            GET DIAGNOSTICS got = ROW_COUNT;
            claimed := claimed + got;
        END IF;
    END LOOP;
END $$;
