-- FUZZY: nodes whose key or summary is similar to a text (pg_trgm), best first.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- FUZZY's candidates for the transaction's user (memory.current_user_id()): nodes whose kv key or
-- summary has a trigram similarity of at least p_threshold to p_text, each with its best score;
-- only the nodes that can still be in the top p_limit (rank <= p_limit, ties kept).
-- SECURITY DEFINER because under row-level security the planner may not use a trigram index:
-- pg_trgm's % is not leakproof, so it may not run inside an index scan ahead of the policy. The
-- function reads only the current user's rows: the user is the transaction's setting, never a
-- parameter; without a user it finds nothing. Its search_path is pg_catalog and memory only:
-- pg_trgm's objects (schema public) are named with their schema, so nothing another role may
-- create in public (writable by any role before PostgreSQL 15) is resolved by a name here.
-- Keys come first, at 0.4, then at p_threshold if fewer than p_limit nodes match. When p_limit
-- nodes match by key, a summary can only reach the top with at least the p_limit-th key score, so
-- the summary arm runs with that as its threshold (the bar), and only in the summary trigram
-- buckets whose counts can reach it: similarity <= |T(text)| / |T(summary)|. Exact: the same top
-- p_limit, ties included. ROWS 20: the caller's join to nodes probes the primary key.
-- Planned once per connection (force_generic_plan): its trigram conditions are selective, so the
-- generic plan scans the per-user indexes; the skipped buckets stay in it behind one-time filters.
CREATE OR REPLACE FUNCTION memory.fuzzy_candidates(p_text text, p_threshold real, p_limit integer)
RETURNS TABLE (node_id uuid, score real)
ROWS 20
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, memory
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    u text := memory.current_user_id();
    key_ids uuid[];
    key_scores real[];
    tier real;
    bar real := p_threshold;
    text_trigrams integer := coalesce(array_length(public.show_trgm(p_text), 1), 0);
    most float8;
BEGIN
    PERFORM memory.ensure_kv_store();  -- after a crash emptied kv_store: rebuilt before it is read
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    -- Keys first, at 0.4, then at p_threshold if fewer than p_limit nodes match (see docs/schema.md, FUZZY).
    FOREACH tier IN ARRAY ARRAY[greatest(p_threshold, 0.4::real), p_threshold] LOOP
        PERFORM set_config('pg_trgm.similarity_threshold', tier::text, true);
        SELECT coalesce(array_agg(k.node_id ORDER BY k.score DESC), '{}'), coalesce(array_agg(k.score ORDER BY k.score DESC), '{}')
        INTO key_ids, key_scores
        FROM (
            SELECT kv.node_id, max(public.similarity(kv.entity_key, p_text)) AS score
            FROM memory.kv_store kv
            WHERE kv.user_id = u AND kv.entity_key OPERATOR(public.%) p_text
            GROUP BY kv.node_id
        ) k;
        EXIT WHEN cardinality(key_scores) >= p_limit OR tier <= p_threshold;
    END LOOP;
    IF cardinality(key_scores) >= p_limit THEN
        bar := greatest(p_threshold, key_scores[p_limit]);
    END IF;
    -- The most trigrams a summary can have and still reach the bar, with a margin for rounding
    -- (pg_trgm scores in single precision); a bar of 0 admits any summary.
    most := CASE WHEN bar > 0 THEN text_trigrams / bar::float8 * 1.0001 ELSE 'infinity'::float8 END;
    -- real to text round-trips exactly, so a summary scoring exactly the bar still passes %.
    PERFORM set_config('pg_trgm.similarity_threshold', bar::text, true);
    RETURN QUERY
        SELECT r.node_id, r.score FROM (
            SELECT c.node_id, max(c.score) AS score, rank() OVER (ORDER BY max(c.score) DESC) AS place
            FROM (
                SELECT k.node_id, k.score FROM unnest(key_ids, key_scores) AS k(node_id, score)
                UNION ALL
                SELECT m.node_id, public.similarity(m.summary, p_text) FROM memory.nodes m
                WHERE m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams <= 16 AND m.summary OPERATOR(public.%) p_text
                UNION ALL
                SELECT m.node_id, public.similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 16 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 16 AND m.summary_trigrams <= 32 AND m.summary OPERATOR(public.%) p_text
                UNION ALL
                SELECT m.node_id, public.similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 32 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 32 AND m.summary_trigrams <= 64 AND m.summary OPERATOR(public.%) p_text
                UNION ALL
                SELECT m.node_id, public.similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 64 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 64 AND m.summary OPERATOR(public.%) p_text
            ) c
            GROUP BY c.node_id
            HAVING max(c.score) >= p_threshold
        ) r
        WHERE r.place <= p_limit;
END $$;

-- FUZZY in one round trip, as LOOKUP and SEARCH: sets the user for row-level security, takes the
-- candidates from memory.fuzzy_candidates and returns the nodes, best first (ties: key, then id).
-- It returns the nodes tied at the last place too (up to 4 x p_limit rows, at least 40), for the
-- store to order each tie by edit distance before keeping p_limit; each row carries the node's
-- derived key, so the store can rank the rows from short text columns and decode only what it keeps.
CREATE OR REPLACE FUNCTION memory.fuzzy_nodes(p_user text, p_text text, p_threshold real, p_limit integer)
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

REVOKE ALL ON FUNCTION memory.fuzzy_candidates(text, real, integer) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.fuzzy_candidates(text, real, integer) TO memgraph_app;
    END IF;
END
$$;
