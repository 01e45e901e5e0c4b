-- memgraph schema 6: FUZZY rechecks only what can reach the top; LOOKUP and FUZZY keep one plan.
--
-- 1. FUZZY scored every summary that shares enough trigrams with the text. With 100,000 nodes for
--    one user (among 400,000) a misspelt name made 2,167 summary candidates, each rechecked with
--    similarity() (11 ms of the 15), and none reached the threshold: a name is much shorter than
--    a summary, and similarity divides by the union of both trigram sets. The keys' candidates
--    come first now, at 0.5 and only then, if fewer than p_limit nodes match, at p_threshold (a
--    common first name alone gives 1,000 keys above 0.3). When at least p_limit nodes match by
--    key, a summary can only reach the top p_limit with a similarity of at least the p_limit-th
--    key score, so the summary arm runs with that as its pg_trgm threshold: its GIN index yields
--    a few dozen candidates instead of thousands. Exact: the same top p_limit as before, ties
--    included. Only the nodes that can still be in the top p_limit (rank <= p_limit, ties kept)
--    are returned.
-- 2. Both functions plan their statements once per connection (plan_cache_mode =
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
    -- a key when its node is deleted). A first pass at 0.5 has few candidates; when it finds
    -- p_limit nodes they are the best keys of all, and the pass at p_threshold is not needed.
    FOREACH tier IN ARRAY ARRAY[greatest(p_threshold, 0.5::real), p_threshold] LOOP
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
