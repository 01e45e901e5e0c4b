-- memgraph schema 13: a bulk insert queues its nodes for embedding as one row; a worker splits it
-- into the per-field jobs when it runs out of those.
--
-- The insert trigger wrote one job per new node and embedded field, with the text's sha256: for
-- `memgraph bench store`'s 100,000 nodes, 200,000 rows, each with two index entries (the primary
-- key, idx_embedding_jobs_due) and its WAL, inside the import's transaction: the largest cost of
-- an import that is not the nodes themselves. `bench store --import-only --noise-users 0` on
-- fresh clusters: 20.5k / 21.4k / 21.4k nodes/s (Postgres CPU 5.8 / 5.6 / 5.8 s, the bench's
-- deletes included) with those jobs; 23.7k / 26.5k / 16.8k (5.5 / 4.6 / 7.3 s) with one job row
-- per node; 26.0k / 25.5k / 19.5k (4.4 / 4.6 / 5.8 s) with one row per statement (both tried by
-- swapping the trigger through psql). As built, `bench store --import-only` (4 noise users),
-- alternating fresh clusters: 22.5k / 22.0k / 24.4k / 23.2k nodes/s, against 19.0k / 20.0k /
-- 17.8k / 20.0k with schema 11's trigger put back.
--
-- A statement that inserts at least memory.bulk_job_rows() nodes now writes, per user, one row
-- of memory.embedding_batches: the ids of its new nodes that are not opted out. Nothing is
-- computed from their texts then. memory.expand_embedding_batches replaces a batch by its nodes'
-- per-field jobs, computed from the nodes as they are then, with the batch's created_at (latency
-- still counts from the insert). memory.claim_embedding_jobs expands a batch when it finds fewer
-- due jobs than it may claim, so workers, `import --wait` and `memgraph worker` need no change;
-- the store's sync embedding mode expands its own transaction's batches. Smaller statements
-- (an agent's remember, a fixture) queue per-field jobs at once, as before, and through the same
-- function as the split (memory.queue_field_jobs over memory.node_texts): memory.field_text is the
-- one statement of the text rule again, and schema 11's inline copy of it is no longer used (it
-- saved ~0.3 s per 100,000 nodes, which now go through batches; a remember's few nodes cost
-- microseconds more).
--
-- A batch is exact, not a hint: a node changed before its batch is expanded gets its per-field
-- jobs from the update trigger (memory.enqueue_embeddings) at once, which the expansion keeps
-- (ON CONFLICT DO NOTHING: they hold the newer text); a node deleted for good leaves its batch
-- (memory.jobs_track_delete); one deleted softly or opted out by then gets no jobs. Until its
-- batch is expanded, a node counts as one pending job in the queue's figures
-- (memory.embedding_queue_stats, `memgraph stats`).
CREATE FUNCTION memory.bulk_job_rows() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

CREATE TABLE memory.embedding_batches (
    user_id    text        NOT NULL,
    batch_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    node_ids   uuid[]      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),  -- the insert's: latency starts here
    PRIMARY KEY (user_id, batch_id)
);
CREATE INDEX idx_embedding_batches_age ON memory.embedding_batches (created_at);

ALTER TABLE memory.embedding_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_isolation ON memory.embedding_batches
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());

-- The texts to embed of the user's live, opted-in nodes among p_nodes: one row per embedded field
-- that memory.field_text finds non-empty. Each node is read by one index probe, whatever the
-- statistics say (inside an import's transaction they do not know its rows yet).
CREATE FUNCTION memory.node_texts(p_user text, p_nodes uuid[])
RETURNS TABLE (node_id uuid, field text, body text)
LANGUAGE sql STABLE SET search_path = pg_catalog, memory, public AS $$
    SELECT n.node_id, f.field, x.body
    FROM unnest(p_nodes) AS id(node_id)
    CROSS JOIN LATERAL (SELECT * FROM memory.nodes m WHERE m.user_id = p_user AND m.node_id = id.node_id) n
    CROSS JOIN memory.embedded_fields f
    CROSS JOIN LATERAL (SELECT memory.field_text(n, f.field) AS body) x
    WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND x.body IS NOT NULL
$$;

-- Writes the per-field jobs of the user's nodes among p_nodes (memory.node_texts), created and due
-- at p_since. A job already there is kept: for a node inserted earlier in a batch, it was written
-- by the update trigger after the insert and holds the newer text's hash. Returns the jobs written.
CREATE FUNCTION memory.queue_field_jobs(p_user text, p_nodes uuid[], p_since timestamptz) RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, memory, public AS $$
    WITH fresh AS (
        INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha, run_after, created_at)
        SELECT p_user, t.node_id, t.field, sha256(convert_to(t.body, 'UTF8')), p_since, p_since
        FROM memory.node_texts(p_user, p_nodes) t
        ON CONFLICT (user_id, node_id, field) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM fresh
$$;

CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE queued boolean;
BEGIN
    IF (SELECT count(*) FROM new_rows) >= memory.bulk_job_rows() THEN
        INSERT INTO memory.embedding_batches (user_id, node_ids)
        SELECT n.user_id, array_agg(n.node_id)
        FROM new_rows n
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false'
        GROUP BY n.user_id;
        queued := FOUND;
    ELSE
        SELECT coalesce(sum(memory.queue_field_jobs(g.user_id, g.ids, now())), 0) > 0 INTO queued
        FROM (SELECT n.user_id, array_agg(n.node_id) AS ids FROM new_rows n GROUP BY n.user_id) g;
    END IF;
    IF queued THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;

-- Nodes deleted for good leave the batches that still hold them (schema 6's job cascade, plus this).
CREATE OR REPLACE FUNCTION memory.jobs_track_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    DELETE FROM memory.embedding_jobs j USING old_rows o WHERE j.user_id = o.user_id AND j.node_id = o.node_id;
    -- Only the users whose nodes went, and only while they have batches not yet expanded (minutes
    -- after a bulk import, with a worker running): their ids are hash-joined with the deleted rows.
    WITH gone AS (SELECT DISTINCT o.user_id FROM old_rows o),
    kept AS (
        SELECT b.user_id, b.batch_id, count(o.node_id) AS removed,
               array_agg(x.node_id) FILTER (WHERE o.node_id IS NULL) AS ids
        FROM memory.embedding_batches b
        JOIN gone ON gone.user_id = b.user_id
        CROSS JOIN LATERAL unnest(b.node_ids) AS x(node_id)
        LEFT JOIN old_rows o ON o.user_id = b.user_id AND o.node_id = x.node_id
        GROUP BY b.user_id, b.batch_id
    ), pruned AS (
        UPDATE memory.embedding_batches b SET node_ids = kept.ids
        FROM kept WHERE b.user_id = kept.user_id AND b.batch_id = kept.batch_id AND kept.removed > 0 AND kept.ids IS NOT NULL
    )
    DELETE FROM memory.embedding_batches b USING kept
    WHERE b.user_id = kept.user_id AND b.batch_id = kept.batch_id AND kept.ids IS NULL;
    RETURN NULL;
END $$;

-- Replaces up to p_limit batches (oldest first; of p_user, or everyone's when NULL; only those this
-- transaction wrote when p_own) by their nodes' per-field jobs. Returns the jobs written. Batches another
-- transaction is expanding are skipped (SKIP LOCKED). SECURITY INVOKER: called by the application
-- role, row-level security keeps it to that role's user; called from memory.claim_embedding_jobs,
-- it serves every user as that function does.
CREATE FUNCTION memory.expand_embedding_batches(p_user text, p_own boolean, p_limit integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, memory, public
SET plan_cache_mode = force_custom_plan AS $$
DECLARE written integer;
BEGIN
    WITH due AS (
        SELECT b.user_id, b.batch_id FROM memory.embedding_batches b
        WHERE (p_user IS NULL OR b.user_id = p_user) AND (NOT p_own OR b.created_at = now())
        ORDER BY b.created_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        DELETE FROM memory.embedding_batches b USING due
        WHERE b.user_id = due.user_id AND b.batch_id = due.batch_id
        RETURNING b.user_id, b.node_ids, b.created_at
    )
    SELECT coalesce(sum(memory.queue_field_jobs(t.user_id, t.node_ids, t.created_at)), 0) INTO written FROM taken t;
    RETURN written;
END $$;

-- Schema 2's claim of due per-field jobs, as a function of its own (SECURITY INVOKER; only
-- memory.claim_embedding_jobs calls it).
CREATE FUNCTION memory.claim_due_jobs(batch integer, worker text, only_user text)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE sql SET search_path = pg_catalog, memory, public AS $$
    WITH due AS (
        SELECT d.user_id, d.node_id, d.field FROM memory.embedding_jobs d
        WHERE d.status = 'pending' AND d.run_after <= now() AND (only_user IS NULL OR d.user_id = only_user)
        ORDER BY d.run_after
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    )
    UPDATE memory.embedding_jobs j
    SET status = 'processing', claimed_at = now(), claimed_by = worker, claims = j.claims + 1, updated_at = now()
    FROM due, memory.nodes n
    WHERE j.user_id = due.user_id AND j.node_id = due.node_id AND j.field = due.field
      AND n.user_id = j.user_id AND n.node_id = j.node_id
    RETURNING j.user_id, j.node_id, j.field, j.content_sha, memory.field_text(n, j.field), j.attempts, j.created_at
$$;

-- Schema 2's claim; when fewer than `batch` jobs are due, it expands the oldest batch and claims
-- again from what that wrote.
CREATE OR REPLACE FUNCTION memory.claim_embedding_jobs(
    batch integer, worker text, lease interval, max_claims integer, only_user text DEFAULT NULL)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE claimed integer;
BEGIN
    UPDATE memory.embedding_jobs j
    SET status = CASE WHEN j.claims >= max_claims THEN 'failed' ELSE 'pending' END,
        last_error = CASE WHEN j.claims >= max_claims
                          THEN 'abandoned by ' || j.claims || ' workers (did it crash them?)' ELSE j.last_error END,
        claimed_at = NULL, claimed_by = NULL, updated_at = now()
    WHERE j.status = 'processing' AND j.claimed_at < now() - lease;

    RETURN QUERY SELECT * FROM memory.claim_due_jobs(batch, worker, only_user);
    GET DIAGNOSTICS claimed = ROW_COUNT;
    IF claimed < batch AND memory.expand_embedding_batches(only_user, false, 1) > 0 THEN
        RETURN QUERY SELECT * FROM memory.claim_due_jobs(batch - claimed, worker, only_user);
    END IF;
END $$;

-- Schema 2's queue figures, with the nodes of batches not yet expanded counted as pending, due
-- jobs.
CREATE OR REPLACE FUNCTION memory.embedding_queue_stats()
RETURNS TABLE (pending bigint, due bigint, processing bigint, failed bigint, completed bigint,
               oldest_due timestamptz, last_error text, p50_ms float8, p95_ms float8, p99_ms float8, recent bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
    WITH b AS (SELECT coalesce(sum(cardinality(node_ids)), 0)::bigint AS nodes, min(created_at) AS oldest
               FROM memory.embedding_batches)
    SELECT count(*) FILTER (WHERE status = 'pending') + (SELECT nodes FROM b),
           count(*) FILTER (WHERE status = 'pending' AND run_after <= now()) + (SELECT nodes FROM b),
           count(*) FILTER (WHERE status = 'processing'),
           count(*) FILTER (WHERE status = 'failed'),
           count(*) FILTER (WHERE status = 'completed'),
           least(min(run_after) FILTER (WHERE status = 'pending' AND run_after <= now()), (SELECT oldest FROM b)),
           (SELECT j.last_error FROM memory.embedding_jobs j WHERE j.last_error IS NOT NULL
            ORDER BY j.updated_at DESC LIMIT 1),
           percentile_cont(0.50) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) * 1000)
               FILTER (WHERE status = 'completed' AND updated_at > now() - interval '5 minutes'),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) * 1000)
               FILTER (WHERE status = 'completed' AND updated_at > now() - interval '5 minutes'),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) * 1000)
               FILTER (WHERE status = 'completed' AND updated_at > now() - interval '5 minutes'),
           count(*) FILTER (WHERE status = 'completed' AND updated_at > now() - interval '5 minutes')
    FROM memory.embedding_jobs
$$;

-- How many texts the user's pending jobs and batches created in this transaction will embed: a
-- job counts one, a batch the texts its nodes have now. For an import's summary.
CREATE FUNCTION memory.queued_texts(p_user text) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, memory, public AS $$
    SELECT (SELECT count(*) FROM memory.embedding_jobs j
            WHERE j.user_id = p_user AND j.status = 'pending' AND j.created_at = now())
         + (SELECT count(*) FROM memory.embedding_batches b
            CROSS JOIN LATERAL memory.node_texts(b.user_id, b.node_ids) t
            WHERE b.user_id = p_user AND b.created_at = now())
$$;

REVOKE ALL ON FUNCTION memory.expand_embedding_batches(text, boolean, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.claim_due_jobs(integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.queued_texts(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.node_texts(text, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.queue_field_jobs(text, uuid[], timestamptz) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON memory.embedding_batches TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.expand_embedding_batches(text, boolean, integer) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.queued_texts(text) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.node_texts(text, uuid[]) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.queue_field_jobs(text, uuid[], timestamptz) TO memgraph_app;
    END IF;
END
$$;
