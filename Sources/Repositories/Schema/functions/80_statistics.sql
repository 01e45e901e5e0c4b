-- The planner statistics' refresh after a bulk write, and the merging of GIN pending lists.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- The tables of the table groups p_groups, in a fixed order: 'nodes' stands for the nodes and
-- kv_store (which their triggers write), 'embeddings' and 'relationships' for themselves; an
-- unknown name is an error.
CREATE OR REPLACE FUNCTION memory.statistics_tables(p_groups text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, memory AS $$
DECLARE
    g text;
BEGIN
    FOREACH g IN ARRAY p_groups LOOP
        IF g NOT IN ('nodes', 'relationships', 'embeddings') THEN
            RAISE EXCEPTION 'no table group %', g USING ERRCODE = '22023';
        END IF;
    END LOOP;
    RETURN ARRAY(
        SELECT x FROM unnest(ARRAY['nodes', 'kv_store', 'embeddings', 'relationships']) WITH ORDINALITY AS o(x, n)
        WHERE x = ANY(p_groups) OR (x = 'kv_store' AND 'nodes' = ANY(p_groups))
        ORDER BY n);
END $$;

-- Moves the entries waiting in the pending lists of the GIN indexes (trigrams, full text, tags) of
-- the table groups p_tables into the indexes, in bulk; returns the pending pages merged. A bulk
-- write runs it from a second connection while it writes (MemoryStore.mergingPendingIndexEntries):
-- the merging is about a fifth of a 100,000-node import's database time, and so runs on another
-- core. refresh_statistics runs it once more at the end. SECURITY DEFINER: only an index's owner
-- may clean it. It reads or changes no rows.
CREATE OR REPLACE FUNCTION memory.merge_pending_index_entries(p_tables text[]) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    SELECT coalesce(sum(gin_clean_pending_list(i.indexrelid)), 0)::int8
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE a.amname = 'gin' AND c.relnamespace = 'memory'::regnamespace
      AND i.indrelid IN (SELECT ('memory.' || quote_ident(x))::regclass FROM unnest(memory.statistics_tables(p_tables)) x)
$$;

-- After a bulk write, refresh the statistics of the tables it wrote, so that a new user's queries
-- are planned with the user's real size at once rather than after autovacuum, and merge the GIN
-- pending lists of those tables (a manual ANALYZE does not; every search scans a pending list).
-- Only the columns whose statistics a new user's rows change the most are analyzed: the
-- user's share (user_id), the columns the user's queries filter on with it, and the full-text
-- documents (RECALL's lexical arm reads which words are common from them). Autovacuum still
-- analyzes every column of every table once enough rows changed. SECURITY DEFINER: only the owner
-- may do either. It reads or changes no rows.
CREATE OR REPLACE FUNCTION memory.refresh_statistics(p_tables text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    t text;
BEGIN
    -- Always in the same order (statistics_tables'): ANALYZE holds each table's lock to the end
    -- of the transaction, so two refreshes taking them in different orders deadlock.
    FOREACH t IN ARRAY memory.statistics_tables(p_tables) LOOP
        EXECUTE CASE t
            WHEN 'nodes' THEN 'ANALYZE memory.nodes (user_id, context_type, deleted_at, search_document)'
            WHEN 'kv_store' THEN 'ANALYZE memory.kv_store (user_id)'
            WHEN 'embeddings' THEN 'ANALYZE memory.embeddings (user_id, model, in_graph)'
            WHEN 'relationships' THEN 'ANALYZE memory.relationships (user_id, relationship_type)'
        END;
    END LOOP;
    PERFORM memory.merge_pending_index_entries(p_tables);
END $$;

REVOKE ALL ON FUNCTION memory.refresh_statistics(text[]), memory.merge_pending_index_entries(text[]) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.refresh_statistics(text[]), memory.merge_pending_index_entries(text[]) TO memgraph_app;
    END IF;
END
$$;
