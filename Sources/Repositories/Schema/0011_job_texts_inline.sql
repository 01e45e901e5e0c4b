-- memgraph schema 11: the embedding-jobs trigger of new nodes reads each field's text from the
-- row itself.
--
-- Schema 7's memory.embed_track_insert called memory.field_text(n::memory.nodes, field) for each
-- new node and embedded field: the cast builds a whole-row value of the node (content included)
-- for every call, and the call itself is not inlined. For the 100,000 nodes of `memgraph bench
-- store`'s user (8 embedded fields, 200,000 texts), the trigger's SELECT took 525 ms that way and
-- 199 ms with the expression written inline (94 ms of both is reading the rows). The text rule is
-- memory.field_text's, unchanged; a test compares the jobs with it on the fixtures and on the
-- rule's edges (summary from content, blank text, a field that is not a string, opted out).
CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha)
    SELECT n.user_id, n.node_id, f.field, sha256(convert_to(t.body, 'UTF8'))
    FROM new_rows n CROSS JOIN memory.embedded_fields f
    CROSS JOIN LATERAL (
        -- memory.field_text(n, f.field), inline
        SELECT nullif(btrim(CASE WHEN f.field = 'summary' THEN coalesce(n.summary, n.content->>'summary')
                                 WHEN jsonb_typeof(n.content->f.field) = 'string' THEN n.content->>f.field END), '') AS body
    ) t
    WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND t.body IS NOT NULL;
    IF FOUND THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;
