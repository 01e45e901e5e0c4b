-- The embedding queue's consumers: what workers call to split batches, claim, complete and fail
-- jobs, and the queue's and pipelines' figures for health checks.
-- Workers serve every user, so most of these run as the schema owner (SECURITY DEFINER), past
-- row-level security. They are the only cross-user entry points the application role has.
-- Every search_path here is pg_catalog and memory only, and pgvector's objects are named with their
-- schema (public.vector): public may be writable by others, and nothing there is resolved by a name.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- Replaces up to p_limit batches (oldest first; of p_user, or everyone's when NULL; only those this
-- transaction wrote when p_own) by their nodes' per-field jobs. Returns the jobs written. Batches another
-- transaction is expanding are skipped (SKIP LOCKED). SECURITY INVOKER: called by the application
-- role, row-level security keeps it to that role's user; called from memory.claim_embedding_jobs,
-- it serves every user as that function does.
CREATE OR REPLACE FUNCTION memory.expand_embedding_batches(p_user text, p_own boolean, p_limit integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, memory
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

-- Claims up to `batch` due per-field jobs (SECURITY INVOKER; only memory.claim_embedding_jobs
-- calls it). `only_user` limits the claim to one user's jobs (import --wait); NULL serves everyone.
CREATE OR REPLACE FUNCTION memory.claim_due_jobs(batch integer, worker text, only_user text)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE sql SET search_path = pg_catalog, memory AS $$
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

-- Returns claims abandoned by a crashed worker to the queue. A job claimed more than
-- `max_claims` times without finishing (it keeps killing workers) fails.
CREATE OR REPLACE FUNCTION memory.requeue_expired_claims(lease interval, max_claims integer) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, memory AS $$
    UPDATE memory.embedding_jobs j
    SET status = CASE WHEN j.claims >= max_claims THEN 'failed' ELSE 'pending' END,
        last_error = CASE WHEN j.claims >= max_claims
                          THEN 'abandoned by ' || j.claims || ' workers (did it crash them?)' ELSE j.last_error END,
        claimed_at = NULL, claimed_by = NULL, updated_at = now()
    WHERE j.status = 'processing' AND j.claimed_at < now() - lease
$$;

-- A worker's claim: requeues expired claims, then claims due jobs; while it has fewer than
-- `batch`, it splits the oldest remaining batch and claims again, at most 16 batches a call (a
-- batch whose nodes were all deleted or opted out splits into nothing; batches other workers hold
-- locked are skipped, so a call never waits on them).
-- Committed without waiting for the WAL flush (synchronous_commit off, for this transaction: the
-- worker sends the call as a statement of its own). A claim that a crash loses was never made:
-- the jobs are pending again, as after a lost lease. The flush is what a loaded disk stalls
-- (bench pipeline saw claims of ~13 ms among ~1 ms ones).
CREATE OR REPLACE FUNCTION memory.claim_embedding_jobs(
    batch integer, worker text, lease interval, max_claims integer, only_user text DEFAULT NULL)
RETURNS TABLE (user_id text, node_id uuid, field text, content_sha bytea, body text, attempts integer, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    claimed integer := 0;
    got integer;
    splits integer := 0;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
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

-- Stores the vectors of finished jobs. A vector is kept only when, as this commits:
--   * the job is still this worker's claim, in processing (a claim that ran out its lease and went
--     to another worker is that worker's to finish);
--   * the node is live and opted in (an opt-out deletes the job and the vector; it must not come back);
--   * the node's text, the job's hash and `shas` (the hash of the text the worker embedded, computed
--     by the worker) all agree. A claim racing an update can pair the new hash with the old text.
-- The nodes are locked FOR SHARE before anything is checked: an update or opt-out of one of them
-- waits for this commit, and its trigger then sees the vector it must drop or replace. Nothing here
-- waits for a lock (SKIP LOCKED): a node a writer holds, or a job row one holds, is left alone; the
-- writer's trigger requeues the job, or the claim's lease returns it. A claimed job whose text no
-- longer matches (or whose node was locked) goes back to pending, to be embedded again in a second.
-- A vector goes into SEARCH's HNSW graph when its user is large enough to be searched through it
-- (memory.in_search_graph, schema 21); one already there stays.
-- Returns, per finished job, whether its vector was stored (false: stale, dropped).
-- Committed without waiting for the WAL flush, as the claim: a completion that a crash loses
-- leaves its jobs claimed, and their lease returns them to the queue to be embedded again. A
-- later durable commit flushes it too (WAL is written in order), so nothing durable can depend on
-- a vector that a crash takes away.
CREATE OR REPLACE FUNCTION memory.complete_embedding_jobs(
    worker text, model text, users text[], nodes uuid[], fields text[], shas bytea[], vectors public.vector[])
RETURNS TABLE (user_id text, node_id uuid, field text, stored boolean, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    r record;
    requeued boolean := false;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    FOR r IN WITH input AS (
        SELECT * FROM unnest(users, nodes, fields, shas, vectors) AS i(user_id, node_id, field, sha, vec)
    ), locked AS (
        SELECT n AS node FROM memory.nodes n
        WHERE (n.user_id, n.node_id) IN (SELECT i.user_id, i.node_id FROM input i)
        FOR SHARE OF n SKIP LOCKED
    ), fresh AS (
        SELECT i.user_id, i.node_id, i.field FROM input i
        JOIN locked l ON (l.node).user_id = i.user_id AND (l.node).node_id = i.node_id
        WHERE (l.node).deleted_at IS NULL AND coalesce((l.node).metadata->>'embed', 'true') <> 'false'
          AND sha256(convert_to(memory.field_text(l.node, i.field), 'UTF8')) = i.sha
    ), mine AS (
        SELECT c.user_id, c.node_id, c.field FROM memory.embedding_jobs c
        JOIN input i ON (c.user_id, c.node_id, c.field) = (i.user_id, i.node_id, i.field)
        WHERE c.status = 'processing' AND c.claimed_by = worker
        FOR UPDATE OF c SKIP LOCKED
    ), finished AS (
        UPDATE memory.embedding_jobs j
        SET status = CASE WHEN f.node_id IS NOT NULL AND j.content_sha = i.sha THEN 'completed' ELSE 'pending' END,
            run_after = CASE WHEN f.node_id IS NOT NULL AND j.content_sha = i.sha THEN j.run_after ELSE now() + interval '1 second' END,
            claimed_at = NULL, claimed_by = NULL, last_error = NULL, updated_at = now()
        FROM mine m JOIN input i ON (i.user_id, i.node_id, i.field) = (m.user_id, m.node_id, m.field)
        LEFT JOIN fresh f ON (f.user_id, f.node_id, f.field) = (i.user_id, i.node_id, i.field)
        WHERE j.user_id = m.user_id AND j.node_id = m.node_id AND j.field = m.field
        RETURNING j.user_id, j.node_id, j.field, j.status = 'completed' AS done, j.created_at, i.sha, i.vec
    ), graph AS (
        SELECT u.user_id, memory.in_search_graph(u.user_id) AS in_graph
        FROM (SELECT DISTINCT f.user_id FROM finished f WHERE f.done) u
    ), stored AS (
        INSERT INTO memory.embeddings AS e (user_id, node_id, field, model, content_sha, dims, embedding, in_graph)
        SELECT f.user_id, f.node_id, f.field, model, f.sha, public.vector_dims(f.vec), f.vec, g.in_graph
        FROM finished f JOIN graph g ON g.user_id = f.user_id WHERE f.done
        ON CONFLICT ON CONSTRAINT embeddings_pkey DO UPDATE
            SET content_sha = EXCLUDED.content_sha, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, created_at = now(),
                in_graph = e.in_graph OR EXCLUDED.in_graph
        RETURNING e.user_id, e.node_id, e.field
    )
    SELECT i.user_id, i.node_id, i.field, s.node_id IS NOT NULL AS stored,
           CASE WHEN f.done THEN f.created_at END AS created_at, f.node_id IS NOT NULL AND NOT f.done AS requeued
    FROM input i
    LEFT JOIN stored s ON (s.user_id, s.node_id, s.field) = (i.user_id, i.node_id, i.field)
    LEFT JOIN finished f ON (f.user_id, f.node_id, f.field) = (i.user_id, i.node_id, i.field)
    LOOP
        user_id := r.user_id; node_id := r.node_id; field := r.field; stored := r.stored; created_at := r.created_at;
        requeued := requeued OR r.requeued;
        RETURN NEXT;
    END LOOP;
    IF requeued THEN PERFORM pg_notify('memgraph_embed', ''); END IF;
END $$;

-- Records a failed attempt: back to pending after an exponential backoff with jitter, or
-- 'failed' (the dead letter) with its error once max_attempts is reached. Returns the new status.
CREATE OR REPLACE FUNCTION memory.fail_embedding_jobs(
    worker text, users text[], nodes uuid[], fields text[], error text, max_attempts integer, base_delay interval)
RETURNS TABLE (user_id text, node_id uuid, field text, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
BEGIN
    RETURN QUERY
    UPDATE memory.embedding_jobs j
    SET attempts = j.attempts + 1,
        status = CASE WHEN j.attempts + 1 >= max_attempts THEN 'failed' ELSE 'pending' END,
        run_after = now() + base_delay * power(2, j.attempts) * (0.75 + random() * 0.5),
        last_error = left(error, 500), claimed_at = NULL, claimed_by = NULL, updated_at = now()
    FROM unnest(users, nodes, fields) AS i(user_id, node_id, field)
    WHERE j.user_id = i.user_id AND j.node_id = i.node_id AND j.field = i.field
      AND j.status = 'processing' AND j.claimed_by = worker
    RETURNING j.user_id, j.node_id, j.field, j.status;
END $$;

-- Gives a stopping worker's unfinished claims back to the queue.
CREATE OR REPLACE FUNCTION memory.release_embedding_jobs(worker text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE released integer;
BEGIN
    UPDATE memory.embedding_jobs SET status = 'pending', claimed_at = NULL, claimed_by = NULL,
        claims = greatest(0, claims - 1), updated_at = now()
    WHERE status = 'processing' AND claimed_by = worker;
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
END $$;

-- Re-queues every failed job (all users), resetting its attempts. Returns how many.
CREATE OR REPLACE FUNCTION memory.retry_failed_embedding_jobs() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE requeued integer;
BEGIN
    UPDATE memory.embedding_jobs SET status = 'pending', attempts = 0, claims = 0, run_after = now(), updated_at = now()
    WHERE status = 'failed';
    GET DIAGNOSTICS requeued = ROW_COUNT;
    IF requeued > 0 THEN PERFORM pg_notify('memgraph_embed', ''); END IF;
    RETURN requeued;
END $$;

-- Queue figures over all users, for health checks: counts by status, the oldest due job, the
-- last error, and the latency from a job's creation to its completion over the last 5 minutes.
-- The nodes of batches not yet expanded count as pending, due jobs.
CREATE OR REPLACE FUNCTION memory.embedding_queue_stats()
RETURNS TABLE (pending bigint, due bigint, processing bigint, failed bigint, completed bigint,
               oldest_due timestamptz, last_error text, p50_ms float8, p95_ms float8, p99_ms float8, recent bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    -- A batch's node counts once, unless a later write of it queued its jobs already (counted below).
    WITH b AS (SELECT count(x.node_id) FILTER (
                          WHERE NOT EXISTS (SELECT FROM memory.embedding_jobs j WHERE j.user_id = eb.user_id AND j.node_id = x.node_id)
                      )::bigint AS nodes,
                      min(eb.created_at) AS oldest
               FROM memory.embedding_batches eb CROSS JOIN LATERAL unnest(eb.node_ids) AS x(node_id))
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

-- A running pipeline's report (memory.pipeline_workers); reports older than a day are dropped.
CREATE OR REPLACE FUNCTION memory.report_pipeline(
    p_name text, p_listener boolean, p_workers integer, p_busy integer, p_processed bigint, p_dead bigint, p_error text)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    INSERT INTO memory.pipeline_workers AS w (name, listener_connected, workers, busy, processed, dead_lettered, last_error)
    VALUES (p_name, p_listener, p_workers, p_busy, p_processed, p_dead, left(p_error, 500))
    ON CONFLICT (name) DO UPDATE SET listener_connected = EXCLUDED.listener_connected, workers = EXCLUDED.workers,
        busy = EXCLUDED.busy, processed = EXCLUDED.processed, dead_lettered = EXCLUDED.dead_lettered,
        last_error = EXCLUDED.last_error, updated_at = now();
    DELETE FROM memory.pipeline_workers WHERE updated_at < now() - interval '1 day';
$$;

CREATE OR REPLACE FUNCTION memory.pipeline_status()
RETURNS TABLE (name text, listener_connected boolean, workers integer, busy integer, processed bigint,
               dead_lettered bigint, last_error text, seconds_since_report float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    SELECT name, listener_connected, workers, busy, processed, dead_lettered, last_error,
           extract(epoch FROM now() - updated_at)::float8
    FROM memory.pipeline_workers ORDER BY updated_at DESC
$$;

REVOKE ALL ON FUNCTION memory.expand_embedding_batches(text, boolean, integer), memory.claim_due_jobs(integer, text, text),
    memory.requeue_expired_claims(interval, integer) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.expand_embedding_batches(text, boolean, integer),
            memory.claim_embedding_jobs(integer, text, interval, integer, text),
            memory.complete_embedding_jobs(text, text, text[], uuid[], text[], bytea[], public.vector[]),
            memory.fail_embedding_jobs(text, text[], uuid[], text[], text, integer, interval),
            memory.release_embedding_jobs(text), memory.retry_failed_embedding_jobs(), memory.embedding_queue_stats(),
            memory.report_pipeline(text, boolean, integer, integer, bigint, bigint, text), memory.pipeline_status()
            TO memgraph_app;
    END IF;
END
$$;
