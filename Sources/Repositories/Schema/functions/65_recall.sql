-- RECALL: the user's best memories for a question, fused from four arms (docs/schema.md, RECALL;
-- docs/rem.md): vector (memory.vector_candidates, as SEARCH), lexical (full-text, BM25),
-- name (keys the question names) and graph (one hop from the best of the others).
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- The text a node is found by in full-text search (nodes.search_document, schema 17): its summary
-- and the content fields embedded by default, each read as text (a field that holds no string adds
-- its JSON text), joined by spaces. Created by 0017_recall_lexical.sql, which the generated column
-- needed; this is its current body. It is concat_ws(' ', ...) exactly (each present part after a
-- space, the first space dropped; '' when every part is NULL), written with IMMUTABLE operators
-- only: concat_ws is STABLE, so Postgres would not inline an IMMUTABLE function built on it, and
-- every node written ran it as a SQL function of its own (its executor set up each time: 3.8 µs a
-- node against 1.4 µs inlined over 4,000 nodes; ~5% of a 100,000-node import's statement by perf).
-- The text is the same, so documents stored before this body are as it would store them.
CREATE OR REPLACE FUNCTION memory.node_document(summary text, content jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr(
        coalesce(' ' || coalesce(summary, content->>'summary'), '') || coalesce(' ' || (content->>'content'), '')
        || coalesce(' ' || (content->>'description'), '') || coalesce(' ' || (content->>'text'), '')
        || coalesce(' ' || (content->>'body'), '') || coalesce(' ' || (content->>'message'), '')
        || coalesce(' ' || (content->>'notes'), '') || coalesce(' ' || (content->>'entity_name'), ''),
        2)
$$;

-- Changes the text search configuration of the documents (the generated column is rebuilt, which
-- rewrites the nodes table) and of the questions. Run by the migrating role when
-- MEMGRAPH_TEXT_SEARCH_CONFIG differs from memory.text_search_config.
CREATE OR REPLACE FUNCTION memory.set_text_search_config(p_config regconfig) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, memory AS $$
BEGIN
    EXECUTE format(
        'ALTER TABLE memory.nodes ALTER COLUMN search_document SET EXPRESSION AS '
        '(to_tsvector(%L::regconfig, memory.node_document(summary, content)))', p_config::text);
    UPDATE memory.text_search_config SET config = p_config;
END $$;
REVOKE ALL ON FUNCTION memory.set_text_search_config(regconfig) FROM PUBLIC;

-- The lexical candidates of the transaction's user (memory.current_user_id()): documents that hold
-- any lexeme of p_text (OR: a question shares only some of its words with its answer), best first.
-- p_ranking 'bm25' (the store's default): BM25 with binary term frequency and no length
-- normalisation (b = 0), which is the sum of the idf of the lexemes a document holds, idf from the
-- user's own document frequencies: rare words and several matches count most. A lexeme in
-- p_common_cap or more of the user's documents is too common to rank by and is left out (counting
-- stops there, so a common word costs at most that many index entries). 'cover_density':
-- ts_rank_cd over the OR query, for comparison. docs/schema.md (RECALL) has both measured, and why
-- b = 0. Only documents scoring at least p_floor times the best score are candidates: a question
-- that shares only a common word (a speaker's name) with most documents gives no list of ties.
-- Ties go to the shorter document. Filters apply before the cut.
-- SECURITY DEFINER as memory.fuzzy_candidates is: @@ is not leakproof, so under row-level security
-- it could not drive the GIN index. The user is the transaction's setting, never a parameter.
CREATE OR REPLACE FUNCTION memory.lexical_candidates(
    p_text text, p_types text[], p_since timestamptz, p_until timestamptz, p_limit integer,
    p_ranking text, p_common_cap integer, p_floor float8)
RETURNS TABLE (node_id uuid, score float8)
ROWS 40
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, memory
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    u text := memory.current_user_id();
    cfg regconfig;
    lexemes text[];
    total float8;
    q tsquery;
BEGIN
    IF u IS NULL OR p_limit <= 0 OR p_text IS NULL THEN
        RETURN;
    END IF;
    SELECT c.config INTO cfg FROM memory.text_search_config c;
    lexemes := tsvector_to_array(to_tsvector(cfg, p_text));
    IF cardinality(lexemes) = 0 THEN
        RETURN;
    END IF;
    IF p_ranking = 'cover_density' THEN
        q := array_to_string(ARRAY(SELECT quote_literal(l) FROM unnest(lexemes) l), ' | ')::tsquery;
        RETURN QUERY
            SELECT n.node_id, ts_rank_cd(n.search_document, q)::float8
            FROM memory.nodes n
            WHERE n.user_id = u AND n.deleted_at IS NULL AND n.search_document @@ q
              AND (p_types IS NULL OR n.context_type = ANY(p_types))
              AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until)
            ORDER BY 2 DESC, 1
            LIMIT p_limit;
        RETURN;
    END IF;
    SELECT greatest(coalesce(max(m.total_nodes), 0), 1) INTO total FROM memory.user_counts(u) m;
    -- For a user with p_common_cap documents or more, counting a common word's documents would
    -- read its whole posting list in the index (50,000 entries: 5 ms). The column's statistics
    -- (refreshed after every bulk write) say which words are common in the table: a word whose
    -- share times the user's documents reaches the cap is left out without counting it.
    IF total >= p_common_cap THEN
        lexemes := ARRAY(
            SELECT l FROM unnest(lexemes) AS l
            WHERE NOT EXISTS (
                SELECT 1
                FROM pg_statistic s
                CROSS JOIN LATERAL unnest(s.stavalues1::text::text[], s.stanumbers1[1:array_length(s.stavalues1::text::text[], 1)]) AS e(lexeme, share)
                WHERE s.starelid = 'memory.nodes'::regclass AND s.stakind1 = 4
                  AND s.staattnum = (SELECT a.attnum FROM pg_attribute a
                                     WHERE a.attrelid = 'memory.nodes'::regclass AND a.attname = 'search_document')
                  AND e.lexeme = l AND e.share * total >= p_common_cap));
        IF cardinality(lexemes) = 0 THEN
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
        WITH hits AS (
            SELECT l.lexeme, h.node_id, h.len
            FROM unnest(lexemes) AS l(lexeme)
            CROSS JOIN LATERAL (
                SELECT n.node_id, length(n.search_document) AS len
                FROM memory.nodes n
                WHERE n.user_id = u AND n.deleted_at IS NULL AND n.search_document @@ quote_literal(l.lexeme)::tsquery
                  AND (p_types IS NULL OR n.context_type = ANY(p_types))
                  AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until)
                LIMIT p_common_cap
            ) h
        ), weights AS (
            SELECT h.lexeme, ln(1 + (greatest(total, count(*)) - count(*) + 0.5) / (count(*) + 0.5)) AS idf
            FROM hits h GROUP BY h.lexeme HAVING count(*) < p_common_cap
        ), scored AS (
            SELECT h.node_id, sum(w.idf) AS score, min(h.len) AS len
            FROM hits h JOIN weights w ON w.lexeme = h.lexeme
            GROUP BY h.node_id
        )
        SELECT c.node_id, c.score::float8
        FROM scored c
        WHERE c.score >= p_floor * (SELECT max(x.score) FROM scored x)
        ORDER BY c.score DESC, c.len, c.node_id
        LIMIT p_limit;
END $$;

-- The name candidates of the transaction's user: nodes whose LOOKUP key (given, or derived from an
-- entity name) the text names. The names are the runs of consecutive capitalised words of p_text
-- that are not stop words of the text search configuration ("What did Sarah Chen say" names
-- "Sarah Chen"), written as keys are ("sarah-chen", a possessive 's dropped); a key matches a name
-- by pg_trgm's word similarity (the name within the key, at least 0.6: "sarah" finds sarah-chen),
-- scored by the mean of word similarity and similarity, so that the whole name ranks above a part.
-- SECURITY DEFINER for the trigram index, as memory.fuzzy_candidates; pg_trgm's objects are named
-- with their schema, public, which is not on its search_path (see memory.fuzzy_candidates).
CREATE OR REPLACE FUNCTION memory.name_candidates(
    p_text text, p_types text[], p_since timestamptz, p_until timestamptz, p_limit integer)
RETURNS TABLE (node_id uuid, score float8)
ROWS 10
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, memory
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    u text := memory.current_user_id();
    cfg regconfig;
    names text[];
    exact_ids uuid[];      -- the nodes of the names that are keys exactly
    exact_names text[];    -- those names
BEGIN
    PERFORM memory.ensure_kv_store();  -- after a crash emptied kv_store: rebuilt before it is read
    IF u IS NULL OR p_limit <= 0 OR p_text IS NULL THEN
        RETURN;
    END IF;
    SELECT c.config INTO cfg FROM memory.text_search_config c;
    names := ARRAY(
        SELECT n.name FROM (
            SELECT string_agg(w.word, '-' ORDER BY w.i) AS name
            FROM (
                SELECT m.i, lower(regexp_replace(m.word[1], '[''’]s$', '')) AS word,
                       m.i - row_number() OVER (ORDER BY m.i) AS run
                FROM regexp_matches(p_text, '([[:alnum:]][[:alnum:]''’]*)', 'g') WITH ORDINALITY AS m(word, i)
                WHERE m.word[1] ~ '^[[:upper:]]' AND to_tsvector(cfg, m.word[1]) <> ''::tsvector
            ) w
            GROUP BY w.run
        ) n
        WHERE length(n.name) >= 3);
    IF cardinality(names) = 0 THEN
        RETURN;
    END IF;
    -- A name that is a key of a node the filters keep scores 1 (as the similarities of equal
    -- texts would) and is not searched by trigrams: the key it names is the evidence, and the
    -- trigram search of a large user's keys is most of this arm's time (100,000 nodes: 2.4 ms of
    -- 2.6 for "Sarah Kanimo", reading the user's whole posting list in the index).
    SELECT coalesce(array_agg(DISTINCT kv.node_id), '{}'), coalesce(array_agg(DISTINCT kv.entity_key), '{}')
    INTO exact_ids, exact_names
    FROM memory.kv_store kv
    CROSS JOIN LATERAL (
        SELECT * FROM memory.nodes x WHERE x.user_id = u AND x.node_id = kv.node_id LIMIT 1) n
    WHERE kv.user_id = u AND kv.entity_key = ANY(names)
      AND n.deleted_at IS NULL AND (p_types IS NULL OR n.context_type = ANY(p_types))
      AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until);
    PERFORM set_config('pg_trgm.word_similarity_threshold', '0.6', true);
    RETURN QUERY
        SELECT c.node_id, max(c.score)::float8
        FROM (
            SELECT e.node_id, 1::float8 AS score FROM unnest(exact_ids) AS e(node_id)
            UNION ALL
            SELECT f.node_id, f.score
            FROM unnest(names) AS nm(name)
            CROSS JOIN LATERAL (
                SELECT kv.node_id,
                       (public.word_similarity(nm.name, kv.entity_key) + public.similarity(nm.name, kv.entity_key)) / 2 AS score
                FROM memory.kv_store kv
                WHERE kv.user_id = u AND kv.entity_key OPERATOR(public.%>) nm.name
                ORDER BY 2 DESC, 1
                LIMIT p_limit
            ) f
            CROSS JOIN LATERAL (
                SELECT * FROM memory.nodes x WHERE x.user_id = u AND x.node_id = f.node_id LIMIT 1) n
            WHERE nm.name <> ALL(exact_names)
              AND n.deleted_at IS NULL AND (p_types IS NULL OR n.context_type = ANY(p_types))
              AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until)
        ) c
        GROUP BY c.node_id
        ORDER BY 2 DESC, 1
        LIMIT p_limit;
END $$;

REVOKE ALL ON FUNCTION memory.lexical_candidates(text, text[], timestamptz, timestamptz, integer, text, integer, float8),
    memory.name_candidates(text, text[], timestamptz, timestamptz, integer) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.node_document(text, jsonb),
            memory.lexical_candidates(text, text[], timestamptz, timestamptz, integer, text, integer, float8),
            memory.name_candidates(text, text[], timestamptz, timestamptz, integer) TO memgraph_app;
    END IF;
END
$$;

-- RECALL in one round trip: sets the user, takes each arm's candidates (filters applied inside
-- every arm), fuses them by weighted reciprocal rank, sum of p_weights[arm] / (p_rrf_k + rank),
-- adds the graph arm (the neighbours, either way, of the p_graph_seeds best fused nodes, ranked by
-- the seed's fused score times the relationship's strength), and returns the best p_limit nodes
-- with the fused score and every arm's rank and score (null where the arm did not find the node).
-- p_weights: vector, lexical, name, graph. A node no arm with weight found is not returned.
-- Sequential scans are off, as in memory.search_nodes: the generic plan, knowing no user's size,
-- read each result's node with a LIMIT 1 sequential scan of the table (1.5 ms a node at 20,000
-- nodes) instead of its primary key.
CREATE OR REPLACE FUNCTION memory.recall_nodes(
    p_user text, p_model text, p_query public.vector, p_text text, p_types text[], p_since timestamptz, p_until timestamptz,
    p_min_similarity float8, p_limit integer, p_candidates integer, p_ef_search integer, p_exact_below integer,
    p_weights float8[], p_rrf_k float8, p_graph_seeds integer, p_ranking text, p_common_cap integer,
    p_lexical_floor float8)
RETURNS TABLE (
    node_id uuid, node_key text, content jsonb, context_type text, summary text, created_at timestamptz,
    last_accessed timestamptz, access_count int8, base_relevance float8, tags text[], metadata jsonb, score float8,
    vector_rank int8, vector_score float8, lexical_rank int8, lexical_score float8,
    name_rank int8, name_score float8, graph_rank int8, graph_score float8)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
        WITH vec AS (
            SELECT v.node_id, 1 - v.distance AS s, row_number() OVER (ORDER BY v.distance, v.node_id) AS r
            FROM memory.vector_candidates(
                p_user, p_model, p_query, p_types, p_since, p_until, p_candidates, p_ef_search, p_exact_below) v
            WHERE p_weights[1] > 0 AND 1 - v.distance >= p_min_similarity
        ), lex AS (
            SELECT l.node_id, l.score AS s, row_number() OVER (ORDER BY l.score DESC, l.node_id) AS r
            FROM memory.lexical_candidates(
                p_text, p_types, p_since, p_until, p_candidates, p_ranking, p_common_cap, p_lexical_floor) l
            WHERE p_weights[2] > 0
        ), nam AS (
            SELECT m.node_id, m.score AS s, row_number() OVER (ORDER BY m.score DESC, m.node_id) AS r
            FROM memory.name_candidates(p_text, p_types, p_since, p_until, p_candidates) m
            WHERE p_weights[3] > 0
        ), fused AS (
            -- A node the lexical arm found that has no vector of the model (stored with wait false
            -- and not embedded yet, opted out with embed false, or queued by a large import) could
            -- not be in the vector arm: its lexical rank stands in for the vector rank it could not
            -- have. Otherwise 40 weak cosine hits, with the graph arm, outranked it even when it was
            -- the lexical arm's first (an exact match of rare words). Every embedded node is as before.
            SELECT coalesce(v.node_id, l.node_id, m.node_id) AS node_id, v.r AS vr, v.s AS vs, l.r AS lr, l.s AS ls,
                   m.r AS mr, m.s AS ms,
                   coalesce(p_weights[1] / (p_rrf_k + v.r), 0) + coalesce(p_weights[2] / (p_rrf_k + l.r), 0)
                     + coalesce(p_weights[3] / (p_rrf_k + m.r), 0)
                     + CASE WHEN v.node_id IS NULL AND l.node_id IS NOT NULL AND p_weights[1] > 0 AND NOT EXISTS (
                                SELECT FROM memory.embeddings e
                                WHERE e.user_id = p_user AND e.node_id = l.node_id AND e.model = p_model)
                            THEN p_weights[1] / (p_rrf_k + l.r) ELSE 0 END AS f
            FROM vec v
            FULL JOIN lex l ON l.node_id = v.node_id
            FULL JOIN nam m ON m.node_id = coalesce(v.node_id, l.node_id)
        ), seeds AS (
            SELECT s.node_id, s.f FROM fused s WHERE p_weights[4] > 0 ORDER BY s.f DESC, s.node_id LIMIT p_graph_seeds
        ), hop AS (
            SELECT nb.node_id, max(s.f * nb.strength) AS gs
            FROM seeds s
            CROSS JOIN LATERAL (
                SELECT r.to_node_id AS node_id, r.strength::float8 AS strength FROM memory.relationships r
                WHERE r.user_id = p_user AND r.from_node_id = s.node_id
                UNION ALL
                SELECT r.from_node_id, r.strength::float8 FROM memory.relationships r
                WHERE r.user_id = p_user AND r.to_node_id = s.node_id
            ) nb
            CROSS JOIN LATERAL (
                SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = nb.node_id LIMIT 1) n
            WHERE n.deleted_at IS NULL AND (p_types IS NULL OR n.context_type = ANY(p_types))
              AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until)
            GROUP BY nb.node_id
        ), graph AS (
            SELECT h.node_id, h.gs, row_number() OVER (ORDER BY h.gs DESC, h.node_id) AS r FROM hop h
        ), total AS MATERIALIZED (
            -- Materialised: the node is then read by a plain id through the primary key (the
            -- coalesce of a full join's two sides is no index condition).
            SELECT coalesce(f.node_id, g.node_id) AS node_id, f.vr, f.vs, f.lr, f.ls, f.mr, f.ms, g.r AS gr, g.gs,
                   coalesce(f.f, 0) + coalesce(p_weights[4] / (p_rrf_k + g.r), 0) AS fs
            FROM fused f FULL JOIN graph g ON g.node_id = f.node_id
        )
        SELECT n.node_id, n.node_key, n.content, n.context_type, n.summary, n.created_at, n.last_accessed,
               n.access_count::int8, n.base_relevance::float8, n.tags, n.metadata, t.fs::float8,
               t.vr::int8, t.vs::float8, t.lr::int8, t.ls::float8, t.mr::int8, t.ms::float8, t.gr::int8, t.gs::float8
        FROM total t
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = p_user AND x.node_id = t.node_id LIMIT 1) n
        WHERE t.fs > 0 AND n.deleted_at IS NULL AND (p_types IS NULL OR n.context_type = ANY(p_types))
          AND (p_since IS NULL OR n.created_at >= p_since) AND (p_until IS NULL OR n.created_at < p_until)
        ORDER BY t.fs DESC, n.node_id
        LIMIT p_limit;
END $$;
