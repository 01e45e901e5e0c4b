-- memgraph schema 2: the embedding queue is a table, not memory (ARCHITECTURE.md).
-- A trigger on nodes writes a job whenever an embedded field's text changes (compared by hash)
-- and sends NOTIFY memgraph_embed; workers claim jobs with FOR UPDATE SKIP LOCKED. A lost
-- notification costs latency, never data: workers also sweep for due jobs.

-- Which fields are embedded (seed 003's defaults plus entity_name). Edit the table to change
-- the list; a node opts out with metadata {"embed": false}.
CREATE TABLE memory.embedded_fields (
    field text PRIMARY KEY CHECK (field ~ '^[a-z_][a-z0-9_]*$')
);
INSERT INTO memory.embedded_fields (field) VALUES
    ('summary'), ('content'), ('description'), ('text'), ('body'), ('message'), ('notes'), ('entity_name');

-- The text of one embedded field: the summary column for 'summary', else a string in content.
CREATE FUNCTION memory.field_text(n memory.nodes, field text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(btrim(CASE WHEN field = 'summary' THEN coalesce(n.summary, n.content->>'summary')
                             WHEN jsonb_typeof(n.content->field) = 'string' THEN n.content->>field END), '')
$$;

CREATE TABLE memory.embedding_jobs (
    user_id     text        NOT NULL,
    node_id     uuid        NOT NULL,
    field       text        NOT NULL,
    content_sha bytea       NOT NULL,            -- sha256 of the text to embed
    status      text        NOT NULL DEFAULT 'pending',
    attempts    integer     NOT NULL DEFAULT 0,  -- failed embedding attempts
    claims      integer     NOT NULL DEFAULT 0,  -- times claimed, to catch rows that crash workers
    run_after   timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    claimed_by  text,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),  -- when the text changed: latency starts here
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, node_id, field),
    FOREIGN KEY (user_id, node_id) REFERENCES memory.nodes (user_id, node_id) ON DELETE CASCADE,
    CONSTRAINT valid_job_status CHECK (status IN ('pending', 'processing', 'completed', 'failed'))
);
CREATE INDEX idx_embedding_jobs_due ON memory.embedding_jobs (run_after) WHERE status = 'pending';
CREATE INDEX idx_embedding_jobs_processing ON memory.embedding_jobs (claimed_at) WHERE status = 'processing';
CREATE INDEX idx_embedding_jobs_failed ON memory.embedding_jobs (user_id) WHERE status = 'failed';

ALTER TABLE memory.embedding_jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_isolation ON memory.embedding_jobs
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());

-- Writes or refreshes the jobs of the given nodes' live, opted-in fields whose text changed,
-- drops jobs and embeddings of fields that became empty, and wakes the workers.
-- LATERAL index probes and SECURITY DEFINER, for the same reasons as memory.kv_refresh.
CREATE FUNCTION memory.enqueue_embeddings(changed jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE queued integer;
BEGIN
    WITH k AS (SELECT DISTINCT e->>0 AS user_id, (e->>1)::uuid AS node_id FROM jsonb_array_elements(changed) e),
    texts AS (
        SELECT n.user_id, n.node_id, f.field, memory.field_text(n, f.field) AS body
        FROM k CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes m WHERE m.user_id = k.user_id AND m.node_id = k.node_id) n
        CROSS JOIN memory.embedded_fields f
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false'
    ), upserted AS (
        INSERT INTO memory.embedding_jobs AS j (user_id, node_id, field, content_sha)
        SELECT user_id, node_id, field, sha256(convert_to(body, 'UTF8')) FROM texts WHERE body IS NOT NULL
        ON CONFLICT (user_id, node_id, field) DO UPDATE
            SET content_sha = EXCLUDED.content_sha, status = 'pending', attempts = 0, claims = 0, run_after = now(),
                claimed_at = NULL, claimed_by = NULL, last_error = NULL, created_at = now(), updated_at = now()
            WHERE j.content_sha <> EXCLUDED.content_sha
        RETURNING 1
    )
    SELECT count(*) INTO queued FROM upserted;

    -- Fields that are empty now, or nodes that were deleted softly or opted out: nothing to embed.
    WITH k AS (SELECT DISTINCT e->>0 AS user_id, (e->>1)::uuid AS node_id FROM jsonb_array_elements(changed) e),
    gone AS (
        SELECT j.user_id, j.node_id, j.field
        FROM k CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes m WHERE m.user_id = k.user_id AND m.node_id = k.node_id) n
        CROSS JOIN LATERAL (
            SELECT * FROM memory.embedding_jobs e WHERE e.user_id = k.user_id AND e.node_id = k.node_id) j
        WHERE n.deleted_at IS NOT NULL OR coalesce(n.metadata->>'embed', 'true') = 'false'
           OR memory.field_text(n, j.field) IS NULL
    ), dropped_jobs AS (
        DELETE FROM memory.embedding_jobs j USING gone
        WHERE (j.user_id, j.node_id, j.field) = (gone.user_id, gone.node_id, gone.field)
    )
    DELETE FROM memory.embeddings e USING gone
    WHERE (e.user_id, e.node_id, e.field) = (gone.user_id, gone.node_id, gone.field);

    IF queued > 0 THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
END $$;

-- New nodes: read their texts straight from the transition table (no second look at nodes).
CREATE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE queued integer;
BEGIN
    WITH upserted AS (
        INSERT INTO memory.embedding_jobs AS j (user_id, node_id, field, content_sha)
        SELECT n.user_id, n.node_id, f.field, sha256(convert_to(t.body, 'UTF8'))
        FROM new_rows n CROSS JOIN memory.embedded_fields f
        CROSS JOIN LATERAL (SELECT memory.field_text(n::memory.nodes, f.field) AS body) t
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND t.body IS NOT NULL
        ON CONFLICT (user_id, node_id, field) DO UPDATE
            SET content_sha = EXCLUDED.content_sha, status = 'pending', attempts = 0, claims = 0, run_after = now(),
                claimed_at = NULL, claimed_by = NULL, last_error = NULL, created_at = now(), updated_at = now()
            WHERE j.content_sha <> EXCLUDED.content_sha
        RETURNING 1
    )
    SELECT count(*) INTO queued FROM upserted;
    IF queued > 0 THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;

-- Nodes whose embedded text, opt-out or deletion changed, by set difference (see kv_track_update).
CREATE FUNCTION memory.embed_track_update() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE k jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_array(user_id, node_id)) INTO k FROM (
        SELECT user_id, node_id, summary, content, metadata->'embed', deleted_at FROM new_rows
        EXCEPT
        SELECT user_id, node_id, summary, content, metadata->'embed', deleted_at FROM old_rows
    ) changed;
    IF k IS NOT NULL THEN PERFORM memory.enqueue_embeddings(k); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER nodes_embed_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.embed_track_insert();
CREATE TRIGGER nodes_embed_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.embed_track_update();

-- ---------------------------------------------------------------- the worker's interface
-- Workers serve every user, so these run as the schema owner (SECURITY DEFINER), past row-level
-- security. They are the only cross-user entry points the application role has.

-- Returns claims abandoned by a crashed worker to the queue, then claims up to `batch` due jobs.
-- A job claimed more than `max_claims` times without finishing (it keeps killing workers) fails.
-- `only_user` limits the claim to one user's jobs (import --wait); NULL serves everyone.
CREATE FUNCTION memory.claim_embedding_jobs(
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

    RETURN QUERY
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
    RETURNING j.user_id, j.node_id, j.field, j.content_sha, memory.field_text(n, j.field), j.attempts, j.created_at;
END $$;

-- Stores the vectors of finished jobs, but only where the node's text still hashes to what was
-- embedded; a job whose text changed meanwhile was reset to pending by the trigger and stays so.
-- Returns, per finished job, whether its vector was stored (false: stale, dropped).
CREATE FUNCTION memory.complete_embedding_jobs(
    worker text, model text, users text[], nodes uuid[], fields text[], shas bytea[], vectors vector[])
RETURNS TABLE (user_id text, node_id uuid, field text, stored boolean, created_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(users, nodes, fields, shas, vectors) AS i(user_id, node_id, field, sha, vec)
    ), fresh AS (
        SELECT i.* FROM input i
        JOIN memory.nodes n ON n.user_id = i.user_id AND n.node_id = i.node_id AND n.deleted_at IS NULL
        WHERE sha256(convert_to(memory.field_text(n, i.field), 'UTF8')) = i.sha
    ), stored AS (
        INSERT INTO memory.embeddings AS e (user_id, node_id, field, model, content_sha, dims, embedding)
        SELECT f.user_id, f.node_id, f.field, model, f.sha, vector_dims(f.vec), f.vec FROM fresh f
        ON CONFLICT ON CONSTRAINT embeddings_pkey DO UPDATE
            SET content_sha = EXCLUDED.content_sha, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, created_at = now()
        RETURNING e.user_id, e.node_id, e.field
    ), done AS (
        UPDATE memory.embedding_jobs j SET status = 'completed', claimed_at = NULL, claimed_by = NULL,
            last_error = NULL, updated_at = now()
        FROM input i
        WHERE j.user_id = i.user_id AND j.node_id = i.node_id AND j.field = i.field AND j.content_sha = i.sha
          AND j.status = 'processing' AND j.claimed_by = worker
        RETURNING j.user_id, j.node_id, j.field, j.created_at
    )
    SELECT i.user_id, i.node_id, i.field, s.node_id IS NOT NULL, d.created_at
    FROM input i
    LEFT JOIN stored s ON (s.user_id, s.node_id, s.field) = (i.user_id, i.node_id, i.field)
    LEFT JOIN done d ON (d.user_id, d.node_id, d.field) = (i.user_id, i.node_id, i.field);
END $$;

-- Records a failed attempt: back to pending after an exponential backoff with jitter, or
-- 'failed' (the dead letter) with its error once max_attempts is reached. Returns the new status.
CREATE FUNCTION memory.fail_embedding_jobs(
    worker text, users text[], nodes uuid[], fields text[], error text, max_attempts integer, base_delay interval)
RETURNS TABLE (user_id text, node_id uuid, field text, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
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
CREATE FUNCTION memory.release_embedding_jobs(worker text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE released integer;
BEGIN
    UPDATE memory.embedding_jobs SET status = 'pending', claimed_at = NULL, claimed_by = NULL,
        claims = greatest(0, claims - 1), updated_at = now()
    WHERE status = 'processing' AND claimed_by = worker;
    GET DIAGNOSTICS released = ROW_COUNT;
    RETURN released;
END $$;

-- Queue figures over all users, for health checks: counts by status, the oldest due job, the
-- last error, and the latency from a job's creation to its completion over the last 5 minutes.
CREATE FUNCTION memory.embedding_queue_stats()
RETURNS TABLE (pending bigint, due bigint, processing bigint, failed bigint, completed bigint,
               oldest_due timestamptz, last_error text, p50_ms float8, p95_ms float8, p99_ms float8, recent bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
    SELECT count(*) FILTER (WHERE status = 'pending'),
           count(*) FILTER (WHERE status = 'pending' AND run_after <= now()),
           count(*) FILTER (WHERE status = 'processing'),
           count(*) FILTER (WHERE status = 'failed'),
           count(*) FILTER (WHERE status = 'completed'),
           min(run_after) FILTER (WHERE status = 'pending' AND run_after <= now()),
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

-- Each running pipeline reports here every sweep, so `memgraph health` in another process can
-- tell whether a worker is alive, listening and busy.
CREATE TABLE memory.pipeline_workers (
    name               text PRIMARY KEY,
    listener_connected boolean     NOT NULL,
    workers            integer     NOT NULL,
    busy               integer     NOT NULL,
    processed          bigint      NOT NULL,
    dead_lettered      bigint      NOT NULL,
    last_error         text,
    started_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION memory.report_pipeline(
    p_name text, p_listener boolean, p_workers integer, p_busy integer, p_processed bigint, p_dead bigint, p_error text)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
    INSERT INTO memory.pipeline_workers AS w (name, listener_connected, workers, busy, processed, dead_lettered, last_error)
    VALUES (p_name, p_listener, p_workers, p_busy, p_processed, p_dead, left(p_error, 500))
    ON CONFLICT (name) DO UPDATE SET listener_connected = EXCLUDED.listener_connected, workers = EXCLUDED.workers,
        busy = EXCLUDED.busy, processed = EXCLUDED.processed, dead_lettered = EXCLUDED.dead_lettered,
        last_error = EXCLUDED.last_error, updated_at = now();
    DELETE FROM memory.pipeline_workers WHERE updated_at < now() - interval '1 day';
$$;

CREATE FUNCTION memory.pipeline_status()
RETURNS TABLE (name text, listener_connected boolean, workers integer, busy integer, processed bigint,
               dead_lettered bigint, last_error text, seconds_since_report float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
    SELECT name, listener_connected, workers, busy, processed, dead_lettered, last_error,
           extract(epoch FROM now() - updated_at)::float8
    FROM memory.pipeline_workers ORDER BY updated_at DESC
$$;

-- Re-queues every failed job (all users), resetting its attempts. Returns how many.
CREATE FUNCTION memory.retry_failed_embedding_jobs() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE requeued integer;
BEGIN
    UPDATE memory.embedding_jobs SET status = 'pending', attempts = 0, claims = 0, run_after = now(), updated_at = now()
    WHERE status = 'failed';
    GET DIAGNOSTICS requeued = ROW_COUNT;
    IF requeued > 0 THEN PERFORM pg_notify('memgraph_embed', ''); END IF;
    RETURN requeued;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON memory.embedding_jobs TO memgraph_app;
        GRANT SELECT ON memory.embedded_fields TO memgraph_app;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA memory TO memgraph_app;
    END IF;
END
$$;
