-- memgraph schema 13: a bulk insert queues one embedding job per node; a worker splits it into
-- the node's per-field jobs when it claims it.
--
-- The insert trigger wrote one job per new node and embedded field, with the text's sha256: for
-- `memgraph bench store`'s 100,000 nodes, 200,000 rows, each with two index entries (the primary
-- key, idx_embedding_jobs_due) and its WAL, inside the import's transaction. That was the
-- largest part of an import that is not the nodes themselves: `bench store --import-only
-- --noise-users 0` on fresh clusters, 20.5k / 21.4k / 21.4k nodes/s (Postgres CPU 5.8 / 5.6 /
-- 5.8 s) with those jobs, 23.7k / 26.5k (5.5 / 4.6 s) with one job per node, 26.0k / 25.5k
-- (4.4 / 4.6 s) with no jobs at all.
--
-- Now a statement that inserts at least memory.bulk_job_rows() nodes queues, per node that is
-- not opted out, one job whose field is '*' (and content_sha empty): "all of this node's
-- embedded fields". memory.expand_node_jobs replaces such jobs by the node's per-field jobs,
-- computed from the node as it is then, with the '*' job's created_at (latency still counts from
-- the insert) and run_after. memory.claim_embedding_jobs expands up to `batch` of them before it
-- claims, so workers, `import --wait` and `memgraph worker` need no change; the store's sync
-- embedding mode expands the nodes it embeds. Smaller statements (an agent's remember, a
-- fixture) queue per-field jobs at once, as before.
--
-- The '*' job is exact, not a hint: the update trigger's memory.enqueue_embeddings writes the
-- per-field jobs of a node whose text changed and drops jobs whose field has no text, '*'
-- included (memory.field_text(n, '*') is NULL); deleting a node drops its jobs; a node opted out
-- or deleted by the time it is expanded gets no jobs. Until it is expanded, the queue's counts
-- (memory.embedding_queue_stats, `memgraph jobs`, `memgraph stats`) count such a node as one
-- pending job.
CREATE FUNCTION memory.bulk_job_rows() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF (SELECT count(*) FROM new_rows) >= memory.bulk_job_rows() THEN
        INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha)
        SELECT n.user_id, n.node_id, '*', '\x'::bytea
        FROM new_rows n
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false';
    ELSE
        -- Schema 11's per-field jobs, unchanged.
        INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha)
        SELECT n.user_id, n.node_id, f.field, sha256(convert_to(t.body, 'UTF8'))
        FROM new_rows n CROSS JOIN memory.embedded_fields f
        CROSS JOIN LATERAL (
            -- memory.field_text(n, f.field), inline
            SELECT nullif(btrim(CASE WHEN f.field = 'summary' THEN coalesce(n.summary, n.content->>'summary')
                                     WHEN jsonb_typeof(n.content->f.field) = 'string' THEN n.content->>f.field END), '') AS body
        ) t
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND t.body IS NOT NULL;
    END IF;
    IF FOUND THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;

-- Replaces up to p_limit pending '*' jobs (oldest first; of p_user, or everyone's when NULL; of
-- p_nodes, or any node's when NULL) by their nodes' per-field jobs. Returns the per-field jobs
-- written. Jobs another transaction is expanding are skipped (SKIP LOCKED). SECURITY INVOKER:
-- called by the application role, row-level security keeps it to that role's user; called from
-- memory.claim_embedding_jobs, it serves every user as that function does.
CREATE FUNCTION memory.expand_node_jobs(p_user text, p_nodes uuid[], p_limit integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, memory, public AS $$
DECLARE written integer;
BEGIN
    WITH due AS (
        SELECT d.user_id, d.node_id FROM memory.embedding_jobs d
        WHERE d.field = '*' AND d.status = 'pending'
          AND (p_user IS NULL OR d.user_id = p_user) AND (p_nodes IS NULL OR d.node_id = ANY(p_nodes))
        ORDER BY d.run_after
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), taken AS (
        DELETE FROM memory.embedding_jobs j USING due
        WHERE j.user_id = due.user_id AND j.node_id = due.node_id AND j.field = '*'
        RETURNING j.user_id, j.node_id, j.run_after, j.created_at
    ), fresh AS (
        INSERT INTO memory.embedding_jobs AS j (user_id, node_id, field, content_sha, run_after, created_at)
        SELECT t.user_id, t.node_id, f.field, sha256(convert_to(x.body, 'UTF8')), t.run_after, t.created_at
        FROM taken t
        JOIN memory.nodes n ON n.user_id = t.user_id AND n.node_id = t.node_id
        CROSS JOIN memory.embedded_fields f
        CROSS JOIN LATERAL (SELECT memory.field_text(n, f.field) AS body) x
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND x.body IS NOT NULL
        -- A per-field job already there was written by the update trigger after the insert: it
        -- holds the newer text's hash.
        ON CONFLICT (user_id, node_id, field) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO written FROM fresh;
    RETURN written;
END $$;

REVOKE ALL ON FUNCTION memory.expand_node_jobs(text, uuid[], integer) FROM PUBLIC;

-- Schema 2's claim, expanding up to `batch` '*' jobs first; '*' jobs are never claimed themselves.
CREATE OR REPLACE FUNCTION memory.claim_embedding_jobs(
    batch integer, worker text, lease interval, max_claims integer, only_user text DEFAULT NULL)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
BEGIN
    UPDATE memory.embedding_jobs j
    SET status = CASE WHEN j.claims >= max_claims THEN 'failed' ELSE 'pending' END,
        last_error = CASE WHEN j.claims >= max_claims
                          THEN 'abandoned by ' || j.claims || ' workers (did it crash them?)' ELSE j.last_error END,
        claimed_at = NULL, claimed_by = NULL, updated_at = now()
    WHERE j.status = 'processing' AND j.claimed_at < now() - lease;

    PERFORM memory.expand_node_jobs(only_user, NULL, batch);

    RETURN QUERY
    WITH due AS (
        SELECT d.user_id, d.node_id, d.field FROM memory.embedding_jobs d
        WHERE d.status = 'pending' AND d.run_after <= now() AND d.field <> '*'
          AND (only_user IS NULL OR d.user_id = only_user)
        ORDER BY d.run_after
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    )
    UPDATE memory.embedding_jobs j
    SET status = 'processing', claimed_at = now(), claimed_by = worker, claims = j.claims + 1, updated_at = now()
    FROM due, memory.nodes n
    WHERE j.user_id = due.user_id AND j.node_id = due.node_id AND j.field = due.field
      AND n.user_id = j.user_id AND n.node_id = j.node_id
    RETURNING j.user_id, j.node_id, j.field, j.content_sha, memory.field_text(n, j.field), j.attempts, j.created_at;
END $$;

-- How many texts the user's pending jobs created in this transaction will embed: per-field jobs
-- count one each, a '*' job the texts its node has now. For an import's summary.
CREATE FUNCTION memory.queued_texts(p_user text) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, memory, public AS $$
    SELECT (SELECT count(*) FROM memory.embedding_jobs j
            WHERE j.user_id = p_user AND j.status = 'pending' AND j.created_at = now() AND j.field <> '*')
         + (SELECT count(*) FROM memory.embedding_jobs j
            JOIN memory.nodes n ON n.user_id = j.user_id AND n.node_id = j.node_id
            CROSS JOIN memory.embedded_fields f
            WHERE j.user_id = p_user AND j.status = 'pending' AND j.created_at = now() AND j.field = '*'
              AND n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false'
              AND memory.field_text(n, f.field) IS NOT NULL)
$$;

REVOKE ALL ON FUNCTION memory.queued_texts(text) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.expand_node_jobs(text, uuid[], integer) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.queued_texts(text) TO memgraph_app;
    END IF;
END
$$;
