-- memgraph schema 8: SEARCH's HNSW index holds half-precision vectors in a graph built wider,
-- and SEARCH ranks the index's candidates by their full-precision distance (1); the statistics
-- refresh after a bulk write analyzes the user's columns only (2).
--
-- 1. Measured on `memgraph bench store` data (one user's 100,000 summaries embedded with MiniLM,
--    among 100,000 vectors of 4 other users), questions "What does <name> do, and for which
--    account?", recall@10 against an exact scan of the user's vectors at ef_search 400, indexes
--    built by CREATE INDEX:
--    - 60 questions: the schema 1 index (vector, m 16, ef_construction 64) 0.930, and the exact
--      best match missed by 3 of them (another contact of the same first name ranked first);
--      ef_construction 128: 0.962; 200: 0.975; m 24 gave nothing over m 16 and searched slower.
--      The same graph over halfvec(384): recall 0.973, 5.8 ms a search against 7.2 ms, 223 MB
--      against 391 MB (the scan is bound by loading each visited element's vector).
--    - 100 other questions, halfvec: ef_construction 64 0.925, 128 0.965.
--    A wider graph costs every insert: `memgraph bench pipeline` into those 200,000 vectors (insert
--    to embedding p50, and embeddings stored per second): vector / 64 10.9 ms, 547/s; halfvec /
--    64 12.4 ms, 544/s; halfvec / 128 12.8 ms, 501/s; halfvec / 200 17.1 ms, 298/s (that index
--    built by inserts). 128 buys most of the recall for about 8% of the throughput; 200 a little
--    more recall for nearly half of it.
-- Rebuilding the index here takes about a minute per 100,000 vectors already stored.
--
-- A half-precision component holds magnitudes up to 65,504: MiniLM's vectors are unit length.
-- A vector outside that range cannot be stored under this model (the index rejects the row).
-- The graph of the vectors already stored is built in memory when it fits in
-- maintenance_work_mem (the default 64 MB holds some tens of thousands of them); beyond, the
-- build goes on through the index's pages, several times slower.
SET LOCAL maintenance_work_mem = '1GB';
DROP INDEX memory.idx_embeddings_minilm_l6_v2_hnsw;
CREATE INDEX idx_embeddings_minilm_l6_v2_hnsw ON memory.embeddings
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 128)
    WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';

-- memory.search_nodes as in schema 6, but for the approximate branch: it walks the halfvec index
-- and keeps each candidate's full-precision distance, which orders the candidates and is the
-- score returned. The index's order only chooses the candidates.
CREATE OR REPLACE FUNCTION memory.search_nodes(
    p_user text, p_model text, p_query vector, p_types text[], p_min_similarity float8,
    p_candidates integer, p_limit integer, p_ef_search integer, p_exact_below integer)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = on AS $$
DECLARE
    live_nodes integer;
    ids uuid[];
    distances float8[];
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    SELECT u.total_nodes INTO live_nodes FROM memory.user_metadata u WHERE u.user_id = p_user;
    IF coalesce(live_nodes, 0) >= p_exact_below THEN
        PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true),
                set_config('hnsw.ef_search', p_ef_search::text, true),
                set_config('hnsw.max_scan_tuples', '50000', true);
        PERFORM set_config('enable_sort', 'off', true);
        IF p_model = 'sentence-transformers/all-MiniLM-L6-v2' THEN
            SELECT coalesce(array_agg(a.node_id ORDER BY a.distance), '{}'), coalesce(array_agg(a.distance ORDER BY a.distance), '{}')
            INTO ids, distances
            FROM (
                SELECT e.node_id, e.embedding <=> p_query AS distance
                FROM memory.embeddings e
                WHERE e.user_id = p_user AND e.model = 'sentence-transformers/all-MiniLM-L6-v2'
                ORDER BY (e.embedding::halfvec(384)) <=> (p_query::halfvec(384))
                LIMIT p_candidates
            ) a;
        ELSE
            RAISE EXCEPTION 'no vector index for the model %', p_model USING ERRCODE = '22023';
        END IF;
        PERFORM set_config('enable_sort', 'on', true);
    END IF;
    IF ids IS NULL OR cardinality(ids) < p_candidates THEN
        SELECT coalesce(array_agg(x.node_id ORDER BY x.distance), '{}'), coalesce(array_agg(x.distance ORDER BY x.distance), '{}')
        INTO ids, distances
        FROM (
            SELECT e.node_id, e.embedding <=> p_query AS distance
            FROM memory.embeddings e
            CROSS JOIN LATERAL (
                SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = e.node_id LIMIT 1) m
            WHERE e.user_id = p_user AND e.model = p_model
              AND m.deleted_at IS NULL AND (p_types IS NULL OR m.context_type = ANY(p_types))
            ORDER BY e.embedding <=> p_query
            LIMIT p_candidates
        ) x;
    END IF;
    RETURN QUERY
        SELECT n.node_id, n.node_key, n.content, n.context_type, n.summary, n.created_at, n.last_accessed,
               n.access_count::int8, n.base_relevance::float8, n.tags, n.metadata, (1 - b.distance)::float8
        FROM (
            SELECT c.node_id, min(c.distance) AS distance
            FROM unnest(ids, distances) AS c(node_id, distance) GROUP BY c.node_id
        ) b
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = b.node_id LIMIT 1) n
        WHERE n.deleted_at IS NULL AND 1 - b.distance >= p_min_similarity
          AND (p_types IS NULL OR n.context_type = ANY(p_types))
        ORDER BY b.distance, n.node_id
        LIMIT p_limit;
END $$;

-- 2. The refresh after a bulk write (schema 7) analyzes the columns whose statistics a new user's
--    rows change the most, not every column: the user's share (user_id) and the columns the
--    plans of the user's queries filter on with it. Whole tables took 0.5-0.7 s after a
--    100,000-node import (nodes 0.31-0.48 s, kv_store 0.055 s, embedding_jobs 0.14-0.16 s); these
--    columns 0.15-0.22 s and 0.02 s. The embedding jobs are no longer analyzed: the queue's
--    queries go through its partial indexes, whatever the statistics say. Autovacuum still
--    analyzes every column of every table, as before, once enough rows changed.
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
            WHEN 'nodes' THEN 'ANALYZE memory.nodes (user_id, context_type, deleted_at)'
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
