-- memgraph schema 6: FUZZY rechecks only what can reach the top; LOOKUP, FUZZY and SEARCH in one
-- round trip, planned once; embedding jobs without a foreign key.
--
-- 1. FUZZY scored every summary that shares enough trigrams with the text. With 100,000 nodes for
--    one user (among 200,000) a misspelt name made 2,167 summary candidates, each rechecked with
--    similarity() (11 ms of the 15), and none reached the threshold: a name is much shorter than
--    a summary, and similarity divides by the union of both trigram sets. The keys' candidates
--    come first now, at 0.4 and only then, if fewer than p_limit nodes match, at p_threshold (a
--    common first name alone gives 1,000 keys above 0.3; 190 of 200 typos found 10 keys at 0.4).
--    When at least p_limit nodes match by key, a summary can only reach the top p_limit with a
--    similarity of at least the p_limit-th key score, so the summary arm runs with that as its
--    pg_trgm threshold: its GIN index yields a few dozen candidates instead of thousands. Exact:
--    the same top p_limit as before, ties included. Only the nodes that can still be in the top
--    p_limit (rank <= p_limit, ties kept) are returned.
-- 2. All these functions plan their statements once per connection (plan_cache_mode =
--    force_generic_plan). PL/pgSQL otherwise replanned them on each of a connection's first calls,
--    which cost LOOKUP 0.2 ms per call for a statement that runs in 0.05 ms. Their plans do not
--    depend on the user's size: LOOKUP reads two primary keys; FUZZY's trigram conditions are
--    selective, so the generic plan scans the per-user trigram indexes.
DROP FUNCTION memory.fuzzy_candidates(text, real);

CREATE FUNCTION memory.fuzzy_candidates(p_text text, p_threshold real, p_limit integer)
RETURNS TABLE (node_id uuid, score real)
ROWS 20
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, memory, public
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    u text := memory.current_user_id();
    key_ids uuid[];
    key_scores real[];
    tier real;
    bar real := p_threshold;
BEGIN
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    -- Nodes matching by key, best first. kv_store holds live nodes' keys only (its triggers drop
    -- a key when its node is deleted). A first pass at 0.4 has few candidates; when it finds
    -- p_limit nodes they are the best keys of all, and the pass at p_threshold is not needed.
    FOREACH tier IN ARRAY ARRAY[greatest(p_threshold, 0.4::real), p_threshold] LOOP
        PERFORM set_config('pg_trgm.similarity_threshold', tier::text, true);
        SELECT coalesce(array_agg(k.node_id ORDER BY k.score DESC), '{}'), coalesce(array_agg(k.score ORDER BY k.score DESC), '{}')
        INTO key_ids, key_scores
        FROM (
            SELECT kv.node_id, max(similarity(kv.entity_key, p_text)) AS score
            FROM memory.kv_store kv
            WHERE kv.user_id = u AND kv.entity_key % p_text
            GROUP BY kv.node_id
        ) k;
        EXIT WHEN cardinality(key_scores) >= p_limit OR tier <= p_threshold;
    END LOOP;
    IF cardinality(key_scores) >= p_limit THEN
        bar := greatest(p_threshold, key_scores[p_limit]);
    END IF;
    -- real to text round-trips exactly, so a summary scoring exactly the bar still passes %.
    PERFORM set_config('pg_trgm.similarity_threshold', bar::text, true);
    RETURN QUERY
        SELECT r.node_id, r.score FROM (
            SELECT c.node_id, max(c.score) AS score, rank() OVER (ORDER BY max(c.score) DESC) AS place
            FROM (
                SELECT k.node_id, k.score FROM unnest(key_ids, key_scores) AS k(node_id, score)
                UNION ALL
                SELECT m.node_id, similarity(m.summary, p_text)
                FROM memory.nodes m
                WHERE m.user_id = u AND m.deleted_at IS NULL AND m.summary % p_text
            ) c
            GROUP BY c.node_id
            HAVING max(c.score) >= p_threshold
        ) r
        WHERE r.place <= p_limit;
END $$;

REVOKE ALL ON FUNCTION memory.fuzzy_candidates(text, real, integer) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.fuzzy_candidates(text, real, integer) TO memgraph_app;
    END IF;
END
$$;

ALTER FUNCTION memory.lookup_node(text, text) SET plan_cache_mode = force_generic_plan;

-- 3. SEARCH in one round trip, planned once per connection. The statement the store sent was
--    planned afresh on every call (1.6 ms: both branches in one statement), ran in a transaction
--    of its own (BEGIN, the settings, the query, COMMIT: four round trips), and counted up to
--    5,000 of the user's vectors to choose the branch (1.3 ms). memory.search_nodes sets the user
--    and the HNSW settings itself, chooses by the user's live node count (kept by triggers in
--    user_metadata), and returns the nodes with their scores.
--    - Fewer than p_exact_below live nodes (the store passes 5,000): an exact scan of the user's
--      vectors, through (user_id, model).
--    - Otherwise: the model's HNSW index with pgvector's iterative scan. If that yields fewer
--      than p_candidates vectors (a user whose vectors are a tiny share of the index, or who has
--      few), the exact scan runs instead, so a result is never cut short.
--    Each model's HNSW index is partial on its name, so the approximate query names the model
--    as a constant: one branch per model (SEARCH checks the model in Swift first).
CREATE FUNCTION memory.search_nodes(
    p_user text, p_model text, p_query vector, p_types text[], p_min_similarity float8,
    p_candidates integer, p_limit integer, p_ef_search integer, p_exact_below integer)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
-- The user's size already chose the branch. The approximate query's cached plan is generic: it
-- knows no user's size, and sorting an average user's vectors through (user_id, model) looked
-- cheaper than HNSW. With sorts, sequential and bitmap scans off while it is planned, the HNSW
-- index (which returns rows in distance order) is the only plan left. enable_sort is turned off
-- for that query alone; the SET clause restores it when the function returns.
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
                SELECT e.node_id, (e.embedding::vector(384)) <=> (p_query::vector(384)) AS distance
                FROM memory.embeddings e
                WHERE e.user_id = p_user AND e.model = 'sentence-transformers/all-MiniLM-L6-v2'
                ORDER BY (e.embedding::vector(384)) <=> (p_query::vector(384))
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

-- 4. FUZZY in one round trip, as LOOKUP and SEARCH: memory.fuzzy_nodes sets the user for
--    row-level security, takes the candidates from memory.fuzzy_candidates and returns the nodes,
--    best first (ties: key, then id). It saves the transaction around the statement (BEGIN,
--    set_config, COMMIT: three round trips).
CREATE FUNCTION memory.fuzzy_nodes(p_user text, p_text text, p_threshold real, p_limit integer)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    RETURN QUERY
        SELECT n.node_id, n.node_key, n.content, n.context_type, n.summary, n.created_at, n.last_accessed,
               n.access_count::int8, n.base_relevance::float8, n.tags, n.metadata, s.score::float8
        FROM memory.fuzzy_candidates(p_text, p_threshold, p_limit) s
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = s.node_id LIMIT 1) n
        WHERE n.deleted_at IS NULL
        ORDER BY s.score DESC, n.node_key NULLS LAST, n.node_id
        LIMIT greatest(p_limit, 0);
END $$;

-- 5. Imports: the embedding jobs' foreign key to nodes goes. Each job row checked its node with
--    one query (100,000 job rows: 0.46 s of 1.13 s to write them). Jobs are only ever written by
--    the nodes' own triggers, from node rows in the same transaction, so the check never failed;
--    what remains of it is the cascade, done here once per statement.
ALTER TABLE memory.embedding_jobs DROP CONSTRAINT embedding_jobs_user_id_node_id_fkey;

CREATE FUNCTION memory.jobs_track_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    -- The deleting statement's own rows only: the jobs of the nodes it removed.
    DELETE FROM memory.embedding_jobs j USING old_rows o WHERE j.user_id = o.user_id AND j.node_id = o.node_id;
    RETURN NULL;
END $$;

CREATE TRIGGER nodes_jobs_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.jobs_track_delete();

-- 6. Imports: the content index keeps only what containment (@>, the one operator the repository
--    filters with) needs. jsonb_path_ops stores one entry per path to a value, where jsonb_ops
--    stored every key and every value: 100,000 nodes imported 0.5 s faster (of 5.6 s in Postgres).
DROP INDEX memory.idx_nodes_content;
CREATE INDEX idx_nodes_content ON memory.nodes USING gin (content jsonb_path_ops);
