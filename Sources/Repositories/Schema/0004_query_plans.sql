-- memgraph schema 4: query plans that stay good when the planner's statistics are stale, as they
-- are right after a new user's bulk import (the user is in no statistics yet, so Postgres thinks
-- the user has one row).

-- 1. Foreign-key checks. Every job, embedding and relationship row checks its node with
--    "user_id = $1 AND node_id = $2". With the user estimated at one row, Postgres read that with
--    any index that leads with user_id (the smallest won) and filtered node_id: one scan of all
--    the user's nodes per check, quadratic in a bulk import (20,000 nodes: 70 s instead of 5 s).
--    Now the primary key is the only index such a check can use: the single-column index goes
--    (the primary key's prefix serves it), and the others are partial on live nodes, which a
--    foreign-key check cannot prove.
DROP INDEX memory.idx_nodes_user_id;
DROP INDEX memory.idx_nodes_user_context;
CREATE INDEX idx_nodes_user_context ON memory.nodes (user_id, context_type) WHERE deleted_at IS NULL;
DROP INDEX memory.idx_nodes_user_created;
CREATE INDEX idx_nodes_user_created ON memory.nodes (user_id, created_at DESC) WHERE deleted_at IS NULL;
-- Entity dedup keeps its unique key, now partial on entities (rows without an entity_id never
-- conflicted anyway: NULLs are distinct); the upsert names the same predicate. The old
-- lookup index on the same columns is the same index again.
ALTER TABLE memory.nodes DROP CONSTRAINT unique_user_entity;
DROP INDEX memory.idx_nodes_entity_lookup;
CREATE UNIQUE INDEX unique_user_entity ON memory.nodes (user_id, entity_system, entity_id) WHERE entity_id IS NOT NULL;

-- 2. FUZZY's trigram indexes lead with user_id (btree_gin), so a user's FUZZY reads only that
--    user's index entries instead of every user's, then rechecks them. In a trial with 100,000
--    nodes for one user and as many for four others, the summary arm rechecked 1,107 rows
--    instead of 2,127.
CREATE EXTENSION IF NOT EXISTS btree_gin;

DROP INDEX memory.idx_nodes_summary_trgm;
CREATE INDEX idx_nodes_user_summary_trgm ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL;

DROP INDEX memory.idx_kv_store_key_trgm;
CREATE INDEX idx_kv_store_user_key_trgm ON memory.kv_store USING gin (user_id, entity_key gin_trgm_ops);

-- 3. FUZZY's candidates for the transaction's user (memory.current_user_id()): nodes whose kv key or
-- summary has a trigram similarity of at least p_threshold to p_text, each with its best score.
-- SECURITY DEFINER because under row-level security the planner may not use a trigram index:
-- pg_trgm's % is not leakproof, so it may not run inside an index scan ahead of the policy, and
-- every FUZZY became a scan of all the user's rows. The function reads only the current user's
-- rows: the user is the transaction's setting, never a parameter. Without a user it finds nothing.
-- Its search_path names public after pg_catalog and memory because pg_trgm's % and similarity
-- live where CREATE EXTENSION put them (schema 1 put them in public).
CREATE FUNCTION memory.fuzzy_candidates(p_text text, p_threshold real)
RETURNS TABLE (node_id uuid, score real)
-- ROWS: a FUZZY keeps tens of candidates, not the default guess of 1,000, so the caller's join to
-- nodes probes the primary key instead of hashing all of the user's nodes.
ROWS 50
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory, public AS $$
DECLARE u text := memory.current_user_id();
BEGIN
    PERFORM set_config('pg_trgm.similarity_threshold', p_threshold::text, true);
    RETURN QUERY
        SELECT c.node_id, max(c.score) FROM (
            SELECT kv.node_id, similarity(kv.entity_key, p_text) AS score
            FROM memory.kv_store kv
            WHERE kv.user_id = u AND kv.entity_key % p_text
            UNION ALL
            SELECT m.node_id, similarity(m.summary, p_text)
            FROM memory.nodes m
            WHERE m.user_id = u AND m.deleted_at IS NULL AND m.summary % p_text
        ) c
        GROUP BY c.node_id
        HAVING max(c.score) >= p_threshold;
END $$;

REVOKE ALL ON FUNCTION memory.fuzzy_candidates(text, real) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.fuzzy_candidates(text, real) TO memgraph_app;
    END IF;
END
$$;

-- 4. After a bulk import: fresh statistics, so that the new user's queries are planned with the
--    user's real size (HNSW for a large user's SEARCH, the trigram index for FUZZY), and the GIN
--    indexes' pending lists merged, since every search scans a pending list from end to end
--    (a manual ANALYZE does not merge them; only autovacuum does, minutes later). The store calls
--    this after large writes. SECURITY DEFINER: only the owner may do either. It takes no input
--    and reads or changes no rows.
CREATE FUNCTION memory.refresh_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
BEGIN
    ANALYZE memory.nodes, memory.kv_store, memory.embedding_jobs, memory.embeddings, memory.relationships;
    PERFORM gin_clean_pending_list(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE a.amname = 'gin' AND c.relnamespace = 'memory'::regnamespace;
END $$;

REVOKE ALL ON FUNCTION memory.refresh_statistics() FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.refresh_statistics() TO memgraph_app;
    END IF;
END
$$;
