-- The embedding queue's producers: triggers on nodes write a job whenever an embedded field's text
-- changes (compared by hash) and send NOTIFY memgraph_embed. A statement that inserts at least
-- memory.bulk_job_rows() nodes writes one memory.embedding_batches row per user instead, which a
-- worker splits into per-field jobs later (functions/35_embedding_worker.sql). A lost notification
-- costs latency, never data: workers also sweep for due jobs.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- How many nodes one statement must insert to be queued as batches rather than per-field jobs.
CREATE OR REPLACE FUNCTION memory.bulk_job_rows() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

-- Writes the per-field jobs of the user's nodes among p_nodes (memory.node_texts), created and due
-- at p_since. A job already there is kept: for a node inserted earlier in a batch, it was written
-- by the update trigger after the insert and holds the newer text's hash. Returns the jobs written.
CREATE OR REPLACE FUNCTION memory.queue_field_jobs(p_user text, p_nodes uuid[], p_since timestamptz) RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, memory AS $$
    WITH fresh AS (
        INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha, run_after, created_at)
        SELECT p_user, t.node_id, t.field, sha256(convert_to(t.body, 'UTF8')), p_since, p_since
        FROM memory.node_texts(p_user, p_nodes) t
        ON CONFLICT (user_id, node_id, field) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM fresh
$$;

-- Writes or refreshes the jobs of the given nodes' live, opted-in fields whose text changed,
-- drops jobs and embeddings of fields that became empty, and wakes the workers.
-- LATERAL index probes and SECURITY DEFINER, for the same reasons as memory.kv_refresh.
CREATE OR REPLACE FUNCTION memory.enqueue_embeddings(changed jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
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

-- New nodes: a bulk statement writes one batch row per user (nothing computed from the texts
-- yet); a smaller one writes the per-field jobs at once, from the inserted rows themselves
-- (memory.row_texts: the rule memory.node_texts applies, without reading each node again, which
-- cost a one-node remember ~0.4 ms of its ~1.5). A just-inserted node has no jobs yet (its id is
-- new), so neither needs to look for old ones.
-- A small statement whose writer's process embeds as it writes sets `memgraph.claim_by` to that
-- process's worker (the node upsert's first CTE, for its own transaction): its jobs are written
-- already claimed by that worker, who has the texts (and embeds them already), and no worker is
-- woken for them. Nothing is lost if that worker never finishes: the claim's lease returns them.
CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    queued boolean;
    claimant text := nullif(current_setting('memgraph.claim_by', true), '');
BEGIN
    IF (SELECT count(*) FROM new_rows) >= memory.bulk_job_rows() THEN
        INSERT INTO memory.embedding_batches (user_id, node_ids)
        SELECT n.user_id, array_agg(n.node_id)
        FROM new_rows n
        WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false'
        GROUP BY n.user_id;
        queued := FOUND;
    ELSE
        INSERT INTO memory.embedding_jobs AS j (
            user_id, node_id, field, content_sha, run_after, created_at, status, claimed_at, claimed_by, claims)
        SELECT n.user_id, n.node_id, t.field, sha256(convert_to(t.body, 'UTF8')), now(), now(),
               CASE WHEN claimant IS NULL THEN 'pending' ELSE 'processing' END,
               CASE WHEN claimant IS NOT NULL THEN now() END, claimant, (claimant IS NOT NULL)::int
        FROM new_rows n CROSS JOIN LATERAL memory.row_texts(n::memory.nodes) t
        ON CONFLICT (user_id, node_id, field) DO NOTHING;
        queued := FOUND AND claimant IS NULL;
    END IF;
    IF queued THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;

-- Nodes whose embedded text, opt-out or deletion changed, by set difference (see kv_track_update).
CREATE OR REPLACE FUNCTION memory.embed_track_update() RETURNS trigger LANGUAGE plpgsql
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

-- The cascade of the jobs (which have no foreign key to nodes), once per statement; nodes deleted
-- for good also leave the batches that still hold them.
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

CREATE OR REPLACE TRIGGER nodes_embed_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.embed_track_insert();
CREATE OR REPLACE TRIGGER nodes_embed_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.embed_track_update();
CREATE OR REPLACE TRIGGER nodes_jobs_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.jobs_track_delete();

-- How many texts the user's pending jobs and batches created in this transaction will embed: a
-- job counts one, a batch the texts its nodes have now. For an import's summary.
CREATE OR REPLACE FUNCTION memory.queued_texts(p_user text) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, memory AS $$
    SELECT (SELECT count(*) FROM memory.embedding_jobs j
            WHERE j.user_id = p_user AND j.status = 'pending' AND j.created_at = now())
         + (SELECT count(*) FROM memory.embedding_batches b
            CROSS JOIN LATERAL memory.node_texts(b.user_id, b.node_ids) t
            WHERE b.user_id = p_user AND b.created_at = now())
$$;

REVOKE ALL ON FUNCTION memory.queue_field_jobs(text, uuid[], timestamptz), memory.queued_texts(text) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.queue_field_jobs(text, uuid[], timestamptz), memory.enqueue_embeddings(jsonb),
            memory.embed_track_insert(), memory.embed_track_update(), memory.queued_texts(text) TO memgraph_app;
    END IF;
END
$$;
