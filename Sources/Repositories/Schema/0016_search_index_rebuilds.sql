-- memgraph schema 16: SEARCH's HNSW graph is rebuilt in one pass once it has doubled since its
-- last build (`MemoryStore.maintainSearchIndex`, which the embedding worker runs by itself and
-- `memgraph reindex` on demand).
--
-- A graph that grows by inserts alone is a lottery with a tail. With ef_construction 256 (schema
-- 15) four `bench store` runs, each one user's 100,000 summaries inserted after 100,000 vectors of
-- 4 other users, gave SEARCH recall@10 0.993, 0.9855, 0.991 and 0.9325: a bad graph leaves a few
-- regions badly linked, and a question whose neighbours lie there comes back with none of its
-- true top 10, however wide the search (ef_search 600: 0.938). The same vectors built in one pass
-- by CREATE INDEX gave 0.984-0.986 in 4 builds of 4 (500 questions, ef_search 400). So the
-- system does what vector stores that build graphs in the background do: when the index holds
-- twice the vectors it held at its last build (and at least a floor, below which recall is not
-- at risk), it is rebuilt with REINDEX INDEX CONCURRENTLY, which lets reads and writes go on and
-- swaps the new graph in at the end. Doubling keeps the rebuilds' total cost under twice the
-- last one's (about 60-100 s for 200,000 vectors on 2 cores), against an insert cost of ~4.5 ms
-- a vector that every vector pays anyway.
--
-- Measured with it: `bench store --nodes 100000 --queries 200` (which rebuilds as the worker
-- would, once its vectors are stored) gave SEARCH recall@10 0.991, 0.991, 0.9915, 0.991 and 0.9895
-- in five runs (the graphs the inserts had grown, just before: 0.992-0.993), rebuilds of 68-89 s,
-- and SEARCH p50 5.8-6.3 ms with the question's embedding, against 7.6-9.6 ms on insert-grown
-- graphs in the previous runs (another day, the host perhaps busier): the one-pass graph seems
-- faster to walk too (its vector part 2.4-2.8 ms against 5.7-6.3 then, at ef_search 400). Three
-- more `memgraph reindex --force` of one such cluster, 500 questions: 0.985, 0.988, 0.988
-- (ef_search 600: 0.991, 0.993, 0.993).
--
-- What is not user data lives here: one row per indexed model, the number of vectors the index
-- was last built over. The app role reaches it only through the functions below.
CREATE TABLE memory.search_index_builds (
    model            text        PRIMARY KEY,
    vectors_at_build bigint      NOT NULL CHECK (vectors_at_build >= 0),
    built_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO memory.search_index_builds (model, vectors_at_build)
SELECT 'sentence-transformers/all-MiniLM-L6-v2', count(*) FROM memory.embeddings
WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';

-- The index's vectors now (all users': it is one graph), and at its last build. SECURITY
-- DEFINER: the count crosses users (it returns a number, never a row), which the app role's
-- row-level security would not let it make.
CREATE FUNCTION memory.search_index_state(p_model text)
RETURNS TABLE (vectors bigint, vectors_at_build bigint, built_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    SELECT (SELECT count(*) FROM memory.embeddings e WHERE e.model = p_model),
           coalesce(b.vectors_at_build, 0), b.built_at
    FROM (SELECT 1) one LEFT JOIN memory.search_index_builds b ON b.model = p_model
$$;

-- Records a finished build over `p_vectors` vectors (counted before it began: vectors inserted
-- while it ran went into the new graph by insert, and count towards the next doubling).
CREATE FUNCTION memory.record_search_index_build(p_model text, p_vectors bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
    INSERT INTO memory.search_index_builds AS b (model, vectors_at_build, built_at) VALUES (p_model, p_vectors, now())
    ON CONFLICT (model) DO UPDATE SET vectors_at_build = excluded.vectors_at_build, built_at = excluded.built_at
$$;

-- A REINDEX INDEX CONCURRENTLY that was interrupted (the process killed, the connection lost, an
-- error) leaves an invalid copy of the index named <index>_ccnew (or _ccold), which every insert
-- keeps paying for. This drops such leftovers on memory.embeddings, and returns their names. It
-- refuses while any index build on the table is in progress (that build's own copy is invalid
-- until it ends), and waits at most 2 s for its lock, so a busy table makes it fail, not queue.
CREATE FUNCTION memory.drop_interrupted_index_builds() RETURNS SETOF text
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

REVOKE ALL ON FUNCTION memory.search_index_state(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.record_search_index_build(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION memory.drop_interrupted_index_builds() FROM PUBLIC;
-- MAINTAIN (PostgreSQL 17 on; memgraph needs 18 for uuidv7) lets the app role REINDEX the table's
-- indexes without owning it; REINDEX CONCURRENTLY cannot run inside a function, so it has to.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.search_index_state(text) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.record_search_index_build(text, bigint) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.drop_interrupted_index_builds() TO memgraph_app;
        GRANT MAINTAIN ON memory.embeddings TO memgraph_app;
    END IF;
END
$$;
