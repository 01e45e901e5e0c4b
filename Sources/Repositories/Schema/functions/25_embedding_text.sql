-- Which text of a node is embedded: the summary and the content fields named in
-- memory.embedded_fields, each as memory.field_text reads it; a node opts out with metadata
-- {"embed": false}. The queue's triggers (30_embedding_queue.sql), the batch split and the
-- worker's claim (35_embedding_worker.sql) all read texts through these functions.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- The text of one embedded field: the summary column for 'summary', else a string in content.
-- The one statement of the text rule: jobs, batches and the worker's claim all go through it.
CREATE OR REPLACE FUNCTION memory.field_text(n memory.nodes, field text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(btrim(CASE WHEN field = 'summary' THEN coalesce(n.summary, n.content->>'summary')
                             WHEN jsonb_typeof(n.content->field) = 'string' THEN n.content->>field END), '')
$$;

-- The texts to embed of one node row: one row per embedded field that memory.field_text finds
-- non-empty, none when the node is deleted or opted out. Inlined into its caller (plain SQL, no
-- SET clause), so a trigger can read its transition table's rows through it at no extra cost.
CREATE OR REPLACE FUNCTION memory.row_texts(n memory.nodes)
RETURNS TABLE (field text, body text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT f.field, x.body
    FROM memory.embedded_fields f
    CROSS JOIN LATERAL (SELECT memory.field_text(n, f.field) AS body) x
    WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND x.body IS NOT NULL
$$;

-- The texts to embed of the user's nodes among p_nodes, as they are now (memory.row_texts). Each
-- node is read by one index probe, whatever the statistics say (inside an import's transaction
-- they do not know its rows yet).
CREATE OR REPLACE FUNCTION memory.node_texts(p_user text, p_nodes uuid[])
RETURNS TABLE (node_id uuid, field text, body text)
LANGUAGE sql STABLE SET search_path = pg_catalog, memory AS $$
    SELECT n.node_id, t.field, t.body
    FROM unnest(p_nodes) AS id(node_id)
    CROSS JOIN LATERAL (SELECT * FROM memory.nodes m WHERE m.user_id = p_user AND m.node_id = id.node_id) n
    CROSS JOIN LATERAL memory.row_texts(n) t
$$;

REVOKE ALL ON FUNCTION memory.node_texts(text, uuid[]) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.field_text(memory.nodes, text), memory.row_texts(memory.nodes), memory.node_texts(text, uuid[])
            TO memgraph_app;
    END IF;
END
$$;
