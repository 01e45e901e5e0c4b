-- memgraph schema 10: SEARCH takes more of the HNSW index's candidates for a user who holds a
-- small share of the vectors.
--
-- The index is shared by every user; a search walks all users' vectors and keeps its user's.
-- The list it keeps while walking (ef_search) holds everyone's, so the fewer of them are the
-- user's, the shallower its search among the user's own, and the candidates it hands over (40
-- for LIMIT 10) are a rougher first 40. Re-ranking more of them by their full-precision distance
-- gets back most of the recall that the shared list loses. Measured on a test cluster (about
-- 100,000 vectors of 173 users; one user with 6,000 clustered vectors of its own seed, 6%; 30
-- query vectors of other users; recall@10 against an exact scan; ef_search 400): 40 candidates
-- 0.847, 100 0.950, 200 0.993. Another such user, whose vectors other users held copies of:
-- 40 0.880 (0.900 at ef_search 1000), 100 0.937, 200 0.980, about 1.6 x the time of 40.
-- A user with half of the vectors (`memgraph bench store`'s default) found 0.98 with 40. In
-- `bench store --nodes 10000 --noise-users 20 --noise-nodes 190000` (5%, the others' vectors
-- stand-ins unlike the user's) recall was 0.996 either way and the vector search took 1.1 ms more.
--
-- So the approximate branch now asks the index for p_candidates x (vectors / (2 x the user's
-- live nodes)) candidates when the user holds under half of the vectors, at most 5 x p_candidates
-- (200 for LIMIT 10). The count of vectors is pg_class.reltuples (the planner's estimate, kept by
-- ANALYZE and autovacuum), so the widening costs no scan. The iterative scan's max_scan_tuples
-- (50,000) bounds the walk as before.
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
    stored_vectors float8;
    candidates integer := p_candidates;
    ids uuid[];
    distances float8[];
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    SELECT u.total_nodes INTO live_nodes FROM memory.user_metadata u WHERE u.user_id = p_user;
    IF coalesce(live_nodes, 0) >= p_exact_below THEN
        -- The user's share of the vectors, from the planner's row count (0 or -1 before the
        -- first ANALYZE: no widening). Below a half, more candidates, up to 5 x.
        SELECT c.reltuples INTO stored_vectors FROM pg_class c WHERE c.oid = 'memory.embeddings'::regclass;
        IF live_nodes > 0 AND stored_vectors > 2 * live_nodes THEN
            candidates := least(p_candidates * 5, ceil(p_candidates * stored_vectors / (2 * live_nodes)))::integer;
        END IF;
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
                LIMIT candidates
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
