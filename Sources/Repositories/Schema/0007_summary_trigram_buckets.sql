-- memgraph schema 7: new nodes' embedding jobs are plain inserts (1); FUZZY skips summaries with
-- too many trigrams to match (2); a bulk write refreshes the statistics of what it wrote (3).
--
-- 1. A node that was just inserted has no jobs: its id is new (the nodes' primary key), and a
-- deleted node's jobs go with it (memory.jobs_track_delete). So the insert trigger needs no
-- ON CONFLICT, whose arbiter probe and speculative insertion cost 0.3 s of a 100,000-node import
-- (200,000 jobs: 1.0 s with it, 0.7 s without). Should a job row ever be left behind for an id
-- that comes back, the write fails with a unique violation rather than losing the job.
CREATE OR REPLACE FUNCTION memory.embed_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    INSERT INTO memory.embedding_jobs (user_id, node_id, field, content_sha)
    SELECT n.user_id, n.node_id, f.field, sha256(convert_to(t.body, 'UTF8'))
    FROM new_rows n CROSS JOIN memory.embedded_fields f
    CROSS JOIN LATERAL (SELECT memory.field_text(n::memory.nodes, f.field) AS body) t
    WHERE n.deleted_at IS NULL AND coalesce(n.metadata->>'embed', 'true') <> 'false' AND t.body IS NOT NULL;
    IF FOUND THEN
        PERFORM pg_notify('memgraph_embed', '');
    END IF;
    RETURN NULL;
END $$;

-- 2. FUZZY's summary arm rechecked every summary that holds enough of the text's trigrams: a
--    misspelt "Sarah Knaimo" among 100,000 nodes of one user matched the trigrams of "Sarah" in
--    1,000 contact summaries, each fetched and scored (4 ms of the 5), and none could score:
--    similarity = shared / (|T(summary)| + |T(text)| - shared) <= |T(text)| / |T(summary)|, so a
--    summary with more than |T(text)| / bar trigrams can never reach the bar (pg_trgm's index
--    cannot know, it keeps no lengths). Each node now stores its summary's trigram count (the
--    size of the set pg_trgm's similarity uses), and the summary trigram index is split by that
--    count into four partial indexes; FUZZY searches only those whose counts can reach the bar
--    (for "Sarah Knaimo", 13 trigrams at a bar of 0.47: up to 27, the short-summary indexes).
--    Exact: a skipped summary provably scores below the bar. Cost: the count on every write,
--    1.5 us a summary in SQL (up to 0.5 s a 100,000-node import in one A/B); each row still
--    enters one trigram index.
ALTER TABLE memory.nodes
    ADD COLUMN summary_trigrams integer GENERATED ALWAYS AS (array_length(public.show_trgm(summary), 1)) STORED;

DROP INDEX memory.idx_nodes_user_summary_trgm;
CREATE INDEX idx_nodes_summary_trgm_16 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams <= 16;
CREATE INDEX idx_nodes_summary_trgm_32 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 16 AND summary_trigrams <= 32;
CREATE INDEX idx_nodes_summary_trgm_64 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 32 AND summary_trigrams <= 64;
CREATE INDEX idx_nodes_summary_trgm_long ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 64;

-- As schema 6's, but the summary arm runs once per count bucket that can reach the bar; the
-- others are skipped by their one-time filters (the plan is generic, so they stay in it).
CREATE OR REPLACE FUNCTION memory.fuzzy_candidates(p_text text, p_threshold real, p_limit integer)
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
    text_trigrams integer := coalesce(array_length(show_trgm(p_text), 1), 0);
    most float8;
BEGIN
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    -- Keys first, at 0.4, then at p_threshold if fewer than p_limit nodes match (see schema 6).
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
                SELECT m.node_id, similarity(m.summary, p_text) FROM memory.nodes m
                WHERE m.user_id = u AND m.deleted_at IS NULL AND m.summary_trigrams <= 16 AND m.summary % p_text
                UNION ALL
                SELECT m.node_id, similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 16 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 16 AND m.summary_trigrams <= 32 AND m.summary % p_text
                UNION ALL
                SELECT m.node_id, similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 32 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 32 AND m.summary_trigrams <= 64 AND m.summary % p_text
                UNION ALL
                SELECT m.node_id, similarity(m.summary, p_text) FROM memory.nodes m
                WHERE most > 64 AND m.user_id = u AND m.deleted_at IS NULL
                  AND m.summary_trigrams > 64 AND m.summary % p_text
            ) c
            GROUP BY c.node_id
            HAVING max(c.score) >= p_threshold
        ) r
        WHERE r.place <= p_limit;
END $$;

-- 3. After a bulk write, refresh the statistics of the tables it wrote only. A node import
--    analyzed the embeddings too (0.15-0.2 s with 200,000 vectors) though it wrote none. 'nodes'
--    stands for the nodes and what their triggers write (kv_store, embedding_jobs). Unknown names
--    are an error. The GIN pending lists of those tables are merged as before. Schema 4's
--    refresh of every table goes: the store no longer calls it (all groups do the same).
DROP FUNCTION memory.refresh_statistics();

CREATE FUNCTION memory.refresh_statistics(p_tables text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE
    t text;
    tables text[] := '{}';
BEGIN
    FOREACH t IN ARRAY p_tables LOOP
        CASE t
            WHEN 'nodes' THEN tables := tables || ARRAY['nodes', 'kv_store', 'embedding_jobs'];
            WHEN 'relationships', 'embeddings' THEN tables := tables || t;
            ELSE RAISE EXCEPTION 'refresh_statistics: no table group %', t USING ERRCODE = '22023';
        END CASE;
    END LOOP;
    -- Always in the same order (the order of schema 4's function): ANALYZE holds each table's
    -- lock to the end of the transaction, so two refreshes taking them in different orders deadlock.
    FOREACH t IN ARRAY ARRAY(
        SELECT x FROM unnest(ARRAY['nodes', 'kv_store', 'embedding_jobs', 'embeddings', 'relationships']) WITH ORDINALITY AS o(x, n)
        WHERE x = ANY(tables) ORDER BY n)
    LOOP
        EXECUTE format('ANALYZE memory.%I', t);
    END LOOP;
    PERFORM gin_clean_pending_list(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE a.amname = 'gin' AND c.relnamespace = 'memory'::regnamespace
      AND i.indrelid IN (SELECT ('memory.' || quote_ident(x))::regclass FROM unnest(tables) x);
END $$;

REVOKE ALL ON FUNCTION memory.refresh_statistics(text[]) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.refresh_statistics(text[]) TO memgraph_app;
    END IF;
END
$$;
