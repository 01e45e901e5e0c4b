-- SEARCH's HNSW index upkeep: the worker (MemoryStore.maintainSearchIndex) or `memgraph reindex`
-- rebuilds it with REINDEX INDEX CONCURRENTLY once it holds twice the vectors of its last build.
-- REINDEX CONCURRENTLY cannot run inside a function, so the app role runs it (MAINTAIN on
-- memory.embeddings); these functions give it the figures and the bookkeeping.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- The index's vectors now (all the large users': it is one graph; schema 21), and at its last
-- build. SECURITY DEFINER: the count crosses users (it returns a number, never a row), which the
-- app role's row-level security would not let it make.
CREATE OR REPLACE FUNCTION memory.search_index_state(p_model text)
RETURNS TABLE (vectors bigint, vectors_at_build bigint, built_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    SELECT (SELECT count(*) FROM memory.embeddings e WHERE e.model = p_model AND e.in_graph),
           coalesce(b.vectors_at_build, 0), b.built_at
    FROM (SELECT 1) one LEFT JOIN memory.search_index_builds b ON b.model = p_model
$$;

-- Records a finished build over `p_vectors` vectors (counted before it began: vectors inserted
-- while it ran went into the new graph by insert, and count towards the next doubling).
CREATE OR REPLACE FUNCTION memory.record_search_index_build(p_model text, p_vectors bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    INSERT INTO memory.search_index_builds AS b (model, vectors_at_build, built_at) VALUES (p_model, p_vectors, now())
    ON CONFLICT (model) DO UPDATE SET vectors_at_build = excluded.vectors_at_build, built_at = excluded.built_at
$$;

-- A REINDEX INDEX CONCURRENTLY that was interrupted (the process killed, the connection lost, an
-- error) leaves an invalid copy of the index named <index>_ccnew (or _ccold), which every insert
-- keeps paying for. This drops such leftovers on memory.embeddings, and returns their names. It
-- refuses while any index build on the table is in progress (that build's own copy is invalid
-- until it ends), and waits at most 2 s for its lock, so a busy table makes it fail, not queue.
CREATE OR REPLACE FUNCTION memory.drop_interrupted_index_builds() RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory SET lock_timeout = '2s' AS $$
DECLARE
    leftover text;
BEGIN
    IF EXISTS (SELECT FROM pg_stat_progress_create_index p
               WHERE p.relid = 'memory.embeddings'::regclass AND p.pid <> pg_backend_pid()) THEN
        RAISE EXCEPTION 'an index build on memory.embeddings is in progress'
            USING ERRCODE = 'lock_not_available';
    END IF;
    FOR leftover IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'memory.embeddings'::regclass AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'
    LOOP
        EXECUTE format('DROP INDEX memory.%I', leftover);
        RETURN NEXT leftover;
    END LOOP;
END $$;

-- Moves into SEARCH's HNSW graph the vectors of users who reached memory.exact_search_below() live
-- nodes after those vectors were stored outside it (schema 21): at most p_limit rows, and returns
-- how many it moved (0: none is left). Rows another transaction holds are skipped, for the next
-- call. Each moved row is inserted into the graph, about a millisecond each, so callers move a
-- few hundred per transaction. SECURITY DEFINER: it finds those users among all.
CREATE OR REPLACE FUNCTION memory.move_into_search_graph(p_limit integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    moved integer := 0;
    got integer;
    grown text;
BEGIN
    FOR grown IN
        SELECT x.user_id FROM (
            SELECT m.user_id, m.total_nodes AS nodes FROM memory.user_metadata m
            UNION ALL
            SELECT d.user_id, d.nodes FROM memory.user_count_deltas d
        ) x
        GROUP BY x.user_id HAVING sum(x.nodes) >= memory.exact_search_below()
    LOOP
        EXIT WHEN moved >= p_limit;
        WITH batch AS (
            SELECT e.user_id, e.node_id, e.field, e.model FROM memory.embeddings e
            WHERE e.user_id = grown AND NOT e.in_graph
            LIMIT p_limit - moved
            FOR UPDATE SKIP LOCKED
        )
        UPDATE memory.embeddings e SET in_graph = true FROM batch b
        WHERE e.user_id = b.user_id AND e.node_id = b.node_id AND e.field = b.field AND e.model = b.model;
        GET DIAGNOSTICS got = ROW_COUNT;
        moved := moved + got;
    END LOOP;
    RETURN moved;
END $$;

REVOKE ALL ON FUNCTION memory.search_index_state(text), memory.record_search_index_build(text, bigint),
    memory.drop_interrupted_index_builds(), memory.move_into_search_graph(integer) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.search_index_state(text), memory.record_search_index_build(text, bigint),
            memory.drop_interrupted_index_builds(), memory.move_into_search_graph(integer) TO memgraph_app;
    END IF;
END
$$;
