-- SEARCH: the user's nodes nearest to a query vector.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- The live nodes from which a user is searched through the HNSW graph rather than by an exact scan
-- of their own vectors. The store passes the same figure to memory.search_nodes and
-- memory.recall_nodes as p_exact_below (MemoryStore.exactSearchLimit; a test checks they agree).
CREATE OR REPLACE FUNCTION memory.exact_search_below() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 5000';

-- Whether a vector stored now for p_user goes into the HNSW graph (memory.embeddings.in_graph,
-- schema 21): whether the user has memory.exact_search_below() live nodes or more. Called once per
-- user and statement by the statements that store vectors.
CREATE OR REPLACE FUNCTION memory.in_search_graph(p_user text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, memory AS $$
    SELECT coalesce((SELECT u.total_nodes FROM memory.user_counts(p_user) u), 0) >= memory.exact_search_below()
$$;

-- The vector candidates of SEARCH and RECALL: the nodes nearest to p_query among the user's
-- (memgraph.user_id, set by the caller), each with its smallest cosine distance over its fields.
-- - Fewer than p_exact_below live nodes: an exact scan of the user's vectors, through (user_id, model).
-- - Otherwise: the model's HNSW index (half precision) with pgvector's iterative scan, keeping each
--   candidate's full-precision distance, which orders the candidates and is the score returned.
--   The index is shared by the large users, so a user who holds under half of its vectors gets more
--   candidates: p_candidates x (vectors / (2 x the user's live nodes)), at most 5 x p_candidates,
--   the count of vectors being the index's pg_class.reltuples (no scan). The user's vectors not in
--   the graph yet (stored while the user was small; the worker moves them in) are scanned exactly
--   beside it, so none is missed. If the two yield fewer than p_candidates vectors, the exact scan
--   of all the user's vectors runs instead, so a result is never cut short.
-- - Filters (context types, a created_at window) apply inside the index scan, to each node as it
--   comes, so the iterative scan goes on until enough nodes pass them: a rare type is not lost
--   behind the candidates of the common ones. Without filters no node is read in the scan.
-- Each model's HNSW index is partial on its name, so the approximate query names the model as a
-- constant: one branch per model (the store checks the model in Swift first).
-- The cached plan is generic and knows no user's size: with sorts, sequential and bitmap scans off
-- while the approximate query is planned, the HNSW index (which returns rows in distance order) is
-- the only plan left. enable_sort is turned off for that query alone; the SET clause restores it
-- when the function returns. Nodes are read by primary key in LIMIT 1 subqueries (the reason is
-- in Store/MemoryStore+Search.swift).
CREATE OR REPLACE FUNCTION memory.vector_candidates(
    p_user text, p_model text, p_query public.vector, p_types text[], p_since timestamptz, p_until timestamptz,
    p_candidates integer, p_ef_search integer, p_exact_below integer)
RETURNS TABLE (node_id uuid, distance float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = on AS $$
DECLARE
    live_nodes integer;
    stored_vectors float8;
    candidates integer := p_candidates;
    filtered boolean := p_types IS NOT NULL OR p_since IS NOT NULL OR p_until IS NOT NULL;
    ids uuid[];
    distances float8[];
BEGIN
    IF p_candidates <= 0 OR p_query IS NULL THEN
        RETURN;
    END IF;
    SELECT u.total_nodes INTO live_nodes FROM memory.user_counts(p_user) u;
    IF coalesce(live_nodes, 0) >= p_exact_below THEN
        -- The user's share of the vectors, from the planner's row count (0 or -1 before the
        -- first ANALYZE: no widening). Below a half, more candidates, up to 5 x.
        -- By name, not a regclass constant: a rebuild (REINDEX CONCURRENTLY) gives the index a new oid.
        SELECT c.reltuples INTO stored_vectors FROM pg_class c
        WHERE c.relname = 'idx_embeddings_minilm_l6_v2_hnsw' AND c.relnamespace = 'memory'::regnamespace;
        IF live_nodes > 0 AND stored_vectors > 2 * live_nodes THEN
            candidates := least(p_candidates * 5, ceil(p_candidates * stored_vectors / (2 * live_nodes)))::integer;
        END IF;
        PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true),
                set_config('hnsw.ef_search', p_ef_search::text, true),
                set_config('hnsw.max_scan_tuples', '50000', true);
        PERFORM set_config('enable_sort', 'off', true);
        IF p_model = 'sentence-transformers/all-MiniLM-L6-v2' AND NOT filtered THEN
            SELECT coalesce(array_agg(a.node_id ORDER BY a.distance), '{}'), coalesce(array_agg(a.distance ORDER BY a.distance), '{}')
            INTO ids, distances
            FROM (
                SELECT e.node_id, e.embedding OPERATOR(public.<=>) p_query AS distance
                FROM memory.embeddings e
                WHERE e.user_id = p_user AND e.model = 'sentence-transformers/all-MiniLM-L6-v2' AND e.in_graph
                ORDER BY (e.embedding::public.halfvec(384)) OPERATOR(public.<=>) (p_query::public.halfvec(384))
                LIMIT candidates
            ) a;
        ELSIF p_model = 'sentence-transformers/all-MiniLM-L6-v2' THEN
            SELECT coalesce(array_agg(a.node_id ORDER BY a.distance), '{}'), coalesce(array_agg(a.distance ORDER BY a.distance), '{}')
            INTO ids, distances
            FROM (
                SELECT e.node_id, e.embedding OPERATOR(public.<=>) p_query AS distance
                FROM memory.embeddings e
                CROSS JOIN LATERAL (
                    SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = e.node_id LIMIT 1) m
                WHERE e.user_id = p_user AND e.model = 'sentence-transformers/all-MiniLM-L6-v2' AND e.in_graph
                  AND m.deleted_at IS NULL AND (p_types IS NULL OR m.context_type = ANY(p_types))
                  AND (p_since IS NULL OR m.created_at >= p_since) AND (p_until IS NULL OR m.created_at < p_until)
                ORDER BY (e.embedding::public.halfvec(384)) OPERATOR(public.<=>) (p_query::public.halfvec(384))
                LIMIT candidates
            ) a;
        ELSE
            RAISE EXCEPTION 'no vector index for the model %', p_model USING ERRCODE = '22023';
        END IF;
        PERFORM set_config('enable_sort', 'on', true);
        -- The user's vectors not in the graph (stored while the user was under p_exact_below, until
        -- memory.move_into_search_graph moves them in): exactly, through (user_id, model, in_graph).
        SELECT ids || coalesce(array_agg(x.node_id ORDER BY x.distance), '{}'),
               distances || coalesce(array_agg(x.distance ORDER BY x.distance), '{}')
        INTO ids, distances
        FROM (
            SELECT e.node_id, e.embedding OPERATOR(public.<=>) p_query AS distance
            FROM memory.embeddings e
            WHERE e.user_id = p_user AND e.model = p_model AND NOT e.in_graph
              AND (NOT filtered OR EXISTS (
                  SELECT FROM memory.nodes m WHERE m.user_id = p_user AND m.node_id = e.node_id
                    AND m.deleted_at IS NULL AND (p_types IS NULL OR m.context_type = ANY(p_types))
                    AND (p_since IS NULL OR m.created_at >= p_since) AND (p_until IS NULL OR m.created_at < p_until)))
            ORDER BY e.embedding OPERATOR(public.<=>) p_query
            LIMIT candidates
        ) x;
    END IF;
    IF (ids IS NULL OR cardinality(ids) < p_candidates) AND NOT filtered THEN
        -- Exact, unfiltered: the nearest vectors by themselves, then only their nodes are read to
        -- leave out soft-removed ones. Reading each of the user's nodes to test it, as the filtered
        -- scan below must, cost 6.6 ms for 2,000 vectors against 1.0 ms so (docs/schema.md, SEARCH).
        -- When removed nodes took too many of the places, the full scan below runs instead.
        SELECT coalesce(array_agg(x.node_id ORDER BY x.distance), '{}'), coalesce(array_agg(x.distance ORDER BY x.distance), '{}')
        INTO ids, distances
        FROM (
            SELECT c.node_id, c.distance
            FROM (
                SELECT e.node_id, e.embedding OPERATOR(public.<=>) p_query AS distance
                FROM memory.embeddings e
                WHERE e.user_id = p_user AND e.model = p_model
                ORDER BY e.embedding OPERATOR(public.<=>) p_query
                LIMIT p_candidates + 16
            ) c
            WHERE EXISTS (
                SELECT FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = c.node_id AND x.deleted_at IS NULL)
            ORDER BY c.distance
            LIMIT p_candidates
        ) x;
        IF cardinality(ids) < p_candidates THEN
            ids := NULL;  -- too few live among the nearest (or the user has fewer vectors): scan them all
        END IF;
    END IF;
    IF ids IS NULL OR cardinality(ids) < p_candidates THEN
        SELECT coalesce(array_agg(x.node_id ORDER BY x.distance), '{}'), coalesce(array_agg(x.distance ORDER BY x.distance), '{}')
        INTO ids, distances
        FROM (
            SELECT e.node_id, e.embedding OPERATOR(public.<=>) p_query AS distance
            FROM memory.embeddings e
            CROSS JOIN LATERAL (
                SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = e.node_id LIMIT 1) m
            WHERE e.user_id = p_user AND e.model = p_model
              AND m.deleted_at IS NULL AND (p_types IS NULL OR m.context_type = ANY(p_types))
              AND (p_since IS NULL OR m.created_at >= p_since) AND (p_until IS NULL OR m.created_at < p_until)
            ORDER BY e.embedding OPERATOR(public.<=>) p_query
            LIMIT p_candidates
        ) x;
    END IF;
    RETURN QUERY
        SELECT c.node_id, min(c.distance)::float8
        FROM unnest(ids, distances) AS c(node_id, distance)
        GROUP BY c.node_id;
END $$;

-- SEARCH in one round trip, planned once per connection: sets the user, takes the vector
-- candidates (memory.vector_candidates) and returns their nodes with their scores (1 - distance).
CREATE OR REPLACE FUNCTION memory.search_nodes(
    p_user text, p_model text, p_query public.vector, p_types text[], p_min_similarity float8,
    p_candidates integer, p_limit integer, p_ef_search integer, p_exact_below integer)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = on AS $$
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT n.node_id, n.node_key, n.content, n.context_type, n.summary, n.created_at, n.last_accessed,
               n.access_count::int8, n.base_relevance::float8, n.tags, n.metadata, (1 - b.distance)::float8
        FROM memory.vector_candidates(
            p_user, p_model, p_query, p_types, NULL, NULL, p_candidates, p_ef_search, p_exact_below) b
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = b.node_id LIMIT 1) n
        WHERE n.deleted_at IS NULL AND 1 - b.distance >= p_min_similarity
          AND (p_types IS NULL OR n.context_type = ANY(p_types))
        ORDER BY b.distance, n.node_id
        LIMIT p_limit;
END $$;
