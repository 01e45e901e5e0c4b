-- memgraph schema 9: FUZZY hands back the nodes tied at the last place, for the store to order.
--
-- Trigram similarity often ties between spellings a reader would not hesitate over: the typo
-- "Tomas Fsei" scores 0.47 against tomas-fesi, tomas-feka, tomas-feri, tomas-femo and a dozen
-- more, and fuzzy_nodes broke the tie by key, alphabetically, so the contact meant came 8th, or
-- fell out of the top 10 (`memgraph bench store`: 159 of 200 such typos found their contact
-- in the top 10). memory.fuzzy_candidates already returns every node tied at the p_limit-th
-- place; fuzzy_nodes now returns them too (up to 4 x p_limit rows, at least 40), and the store
-- orders each tie by edit distance (a swap of two letters counts one) before keeping p_limit.
-- Each row also carries the node's derived key (the slug of its entity name), so the store can
-- rank the rows from three short text columns and decode in full only the p_limit it keeps.
-- The scores are unchanged: the pg_trgm similarity, which THRESHOLD bounds.
DROP FUNCTION memory.fuzzy_nodes(text, text, real, integer);
CREATE FUNCTION memory.fuzzy_nodes(p_user text, p_text text, p_threshold real, p_limit integer)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8,
    derived_key text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT n.node_id, n.node_key, n.content, n.context_type, n.summary, n.created_at, n.last_accessed,
               n.access_count::int8, n.base_relevance::float8, n.tags, n.metadata, s.score::float8,
               n.derived_key
        FROM memory.fuzzy_candidates(p_text, p_threshold, p_limit) s
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = s.node_id LIMIT 1) n
        WHERE n.deleted_at IS NULL
        ORDER BY s.score DESC, n.node_key NULLS LAST, n.node_id
        LIMIT greatest(p_limit * 4, 40);
END $$;
