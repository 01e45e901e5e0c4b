-- memgraph schema 7: new nodes' embedding jobs are plain inserts.
--
-- A node that was just inserted has no jobs: its id is new (the nodes' primary key), and a
-- deleted node's jobs go with it (memory.jobs_track_delete). So the insert trigger needs no
-- ON CONFLICT, whose arbiter probe and speculative insertion cost 0.3 s of a 100,000-node import
-- (200,000 jobs: 1.0 s with it, 0.7 s without). Should a job row ever be left behind for an id
-- that comes back, the write fails with a unique violation rather than losing the job.
CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha)
    SELECT n.user_id, n.node_id, f.field, sha256(convert_to(t.body, 'UTF8'))
    FROM new_rows n CROSS JOIN memory.embedded_fields f
    CROSS JOIN LATERAL (SELECT memory.field_text(n::memory.nodes, f.field) AS body) t
    WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND t.body IS NOT NULL;
    IF FOUND THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;
