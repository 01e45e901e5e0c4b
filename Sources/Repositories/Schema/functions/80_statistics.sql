-- The planner statistics' refresh after a bulk write.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- After a bulk write, refresh the statistics of the tables it wrote, so that a new user's queries
-- are planned with the user's real size at once rather than after autovacuum, and merge the GIN
-- pending lists of those tables (a manual ANALYZE does not; every search scans a pending list).
-- 'nodes' stands for the nodes and kv_store (which their triggers write); unknown names are an
-- error. Only the columns whose statistics a new user's rows change the most are analyzed: the
-- user's share (user_id), the columns the user's queries filter on with it, and the full-text
-- documents (RECALL's lexical arm reads which words are common from them). Autovacuum still
-- analyzes every column of every table once enough rows changed. SECURITY DEFINER: only the owner
-- may do either. It reads or changes no rows.
CREATE OR REPLACE FUNCTION memory.refresh_statistics(p_tables text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    t text;
    tables text[] := '{}';
BEGIN
    FOREACH t IN ARRAY p_tables LOOP
        CASE t
            WHEN 'nodes' THEN tables := tables || ARRAY['nodes', 'kv_store'];
            WHEN 'relationships', 'embeddings' THEN tables := tables || t;
            ELSE RAISE EXCEPTION 'refresh_statistics: no table group %', t USING ERRCODE = '22023';
        END CASE;
    END LOOP;
    -- Always in the same order: ANALYZE holds each table's lock to the end of the transaction,
    -- so two refreshes taking them in different orders deadlock.
    FOREACH t IN ARRAY ARRAY(
        SELECT x FROM unnest(ARRAY['nodes', 'kv_store', 'embeddings', 'relationships']) WITH ORDINALITY AS o(x, n)
        WHERE x = ANY(tables) ORDER BY n)
    LOOP
        EXECUTE CASE t
            WHEN 'nodes' THEN 'ANALYZE memory.nodes (user_id, context_type, deleted_at, search_document)'
            WHEN 'kv_store' THEN 'ANALYZE memory.kv_store (user_id)'
            WHEN 'embeddings' THEN 'ANALYZE memory.embeddings (user_id, model)'
            WHEN 'relationships' THEN 'ANALYZE memory.relationships (user_id, relationship_type)'
        END;
    END LOOP;
    PERFORM gin_clean_pending_list(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE a.amname = 'gin' AND c.relnamespace = 'memory'::regnamespace
      AND i.indrelid IN (SELECT ('memory.' || quote_ident(x))::regclass FROM unnest(tables) x);
END $$;

REVOKE ALL ON FUNCTION memory.refresh_statistics(text[]) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.refresh_statistics(text[]) TO memgraph_app;
    END IF;
END
$$;
