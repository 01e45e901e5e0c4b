-- memgraph schema 1: the user-scoped memory graph (seed 004, with the changes in ARCHITECTURE.md).
-- Applied in one transaction by the migrator, which records it in memory.schema_migrations.

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS memory;

-- The role the application runs as. It owns nothing, so row-level security applies to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        CREATE ROLE memgraph_app NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'cannot create role memgraph_app; grant it yourself (see README, Troubleshooting)';
END
$$;

-- The user whose rows this transaction may see. Empty when unset, which matches no row.
CREATE FUNCTION memory.current_user_id() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('memgraph.user_id', true), '') $$;

-- ---------------------------------------------------------------- nodes
CREATE TABLE memory.nodes (
    user_id        text        NOT NULL,
    node_id        uuid        NOT NULL DEFAULT uuidv7(),
    node_key       text,                   -- natural key given by the caller (unique per user)
    derived_key    text,                   -- natural key derived from entity_name when none is given
    content        jsonb       NOT NULL DEFAULT '{}',
    context_type   text        NOT NULL,
    summary        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_accessed  timestamptz NOT NULL DEFAULT now(),
    access_count   integer     NOT NULL DEFAULT 1,
    base_relevance real        NOT NULL DEFAULT 0.5,
    tags           text[]      NOT NULL DEFAULT '{}',
    metadata       jsonb       NOT NULL DEFAULT '{}',
    entity_id      text,
    entity_type    text,
    entity_system  text,
    deleted_at     timestamptz,
    PRIMARY KEY (user_id, node_id),
    CONSTRAINT unique_user_entity UNIQUE (user_id, entity_system, entity_id),
    CONSTRAINT entity_identity_complete CHECK ((entity_id IS NULL) = (entity_system IS NULL)),
    CONSTRAINT valid_context_type CHECK (context_type IN (
        'search_result', 'user_selection', 'tool_output', 'domain_entity',
        'completed_action', 'conversation_fact', 'temporary_state')),
    CONSTRAINT valid_base_relevance CHECK (base_relevance BETWEEN 0 AND 1),
    CONSTRAINT valid_node_key CHECK (node_key IS NULL OR length(node_key) BETWEEN 1 AND 255)
);

CREATE UNIQUE INDEX idx_nodes_user_key ON memory.nodes (user_id, node_key)
    WHERE node_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX idx_nodes_user_derived_key ON memory.nodes (user_id, derived_key)
    WHERE derived_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX idx_nodes_user_id ON memory.nodes (user_id);
CREATE INDEX idx_nodes_user_context ON memory.nodes (user_id, context_type);
CREATE INDEX idx_nodes_user_created ON memory.nodes (user_id, created_at DESC);
CREATE INDEX idx_nodes_entity_lookup ON memory.nodes (user_id, entity_id, entity_system)
    WHERE entity_id IS NOT NULL;
CREATE INDEX idx_nodes_tags ON memory.nodes USING gin (tags);
CREATE INDEX idx_nodes_content ON memory.nodes USING gin (content);
CREATE INDEX idx_nodes_summary_trgm ON memory.nodes USING gin (summary gin_trgm_ops);

-- Entity dedup: a later store of the same (entity_system, entity_id) merges into the node.
-- entity_data is merged with new keys winning; other top-level keys are replaced; update_count
-- counts merges (plus any already folded together in the caller's batch); last_updated is now.
CREATE FUNCTION memory.merge_entity_content(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT old || (new - 'entity_data' - 'update_count' - 'last_updated')
        || jsonb_build_object(
            'entity_data', coalesce(old->'entity_data', '{}') || coalesce(new->'entity_data', '{}'),
            'update_count', coalesce((old->>'update_count')::int, 0) + 1 + coalesce((new->>'update_count')::int, 0),
            'last_updated', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- Seed 004's trigger: any real change counts as an access.
CREATE FUNCTION memory.update_last_accessed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_accessed = now();
    NEW.access_count = OLD.access_count + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER update_node_last_accessed
    BEFORE UPDATE ON memory.nodes
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION memory.update_last_accessed();

-- ---------------------------------------------------------------- relationships
CREATE TABLE memory.relationships (
    user_id           text        NOT NULL,
    relationship_id   uuid        NOT NULL DEFAULT uuidv7(),
    from_node_id      uuid        NOT NULL,
    to_node_id        uuid        NOT NULL,
    relationship_type text        NOT NULL,
    strength          real        NOT NULL DEFAULT 1.0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    metadata          jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (user_id, relationship_id),
    FOREIGN KEY (user_id, from_node_id) REFERENCES memory.nodes (user_id, node_id) ON DELETE CASCADE,
    FOREIGN KEY (user_id, to_node_id) REFERENCES memory.nodes (user_id, node_id) ON DELETE CASCADE,
    CONSTRAINT unique_user_relationship UNIQUE (user_id, from_node_id, to_node_id, relationship_type),
    CONSTRAINT valid_relationship_type CHECK (relationship_type IN (
        'led_to', 'relates_to', 'depends_on', 'produces', 'belongs_to')),
    CONSTRAINT valid_strength CHECK (strength BETWEEN 0 AND 1)
);

CREATE INDEX idx_relationships_user ON memory.relationships (user_id);
CREATE INDEX idx_relationships_from ON memory.relationships (user_id, from_node_id);
CREATE INDEX idx_relationships_to ON memory.relationships (user_id, to_node_id);
CREATE INDEX idx_relationships_type ON memory.relationships (user_id, relationship_type);

-- ---------------------------------------------------------------- user_metadata
CREATE TABLE memory.user_metadata (
    user_id             text        PRIMARY KEY,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_activity       timestamptz NOT NULL DEFAULT now(),
    total_nodes         integer     NOT NULL DEFAULT 0,
    total_relationships integer     NOT NULL DEFAULT 0,
    metadata            jsonb       NOT NULL DEFAULT '{}'
);

-- Adds per-user deltas. Statement-level, so a batch of 10,000 rows touches each user's row once.
-- The trigger functions below plan each run afresh (force_custom_plan): their transition tables
-- differ in size from call to call, and a plan cached for a small batch is quadratic for a big one.
CREATE FUNCTION memory.add_user_counts(deltas jsonb, column_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF column_name = 'total_nodes' THEN
        INSERT INTO memory.user_metadata AS m (user_id, total_nodes)
        SELECT key, value::int FROM jsonb_each_text(deltas)
        ON CONFLICT (user_id) DO UPDATE
            SET total_nodes = GREATEST(0, m.total_nodes + EXCLUDED.total_nodes), last_activity = now();
    ELSE
        INSERT INTO memory.user_metadata AS m (user_id, total_relationships)
        SELECT key, value::int FROM jsonb_each_text(deltas)
        ON CONFLICT (user_id) DO UPDATE
            SET total_relationships = GREATEST(0, m.total_relationships + EXCLUDED.total_relationships),
                last_activity = now();
    END IF;
END
$$;

-- Live nodes (deleted_at IS NULL) are what total_nodes counts.
CREATE FUNCTION memory.count_nodes_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM new_rows WHERE deleted_at IS NULL GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_nodes'); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION memory.count_nodes_delete() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, -n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM old_rows WHERE deleted_at IS NULL GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_nodes'); END IF;
    RETURN NULL;
END $$;

-- No join of the transition tables (their sizes are unknown to the planner): the change in live
-- nodes per user is the live rows after minus the live rows before.
CREATE FUNCTION memory.count_nodes_update() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, n) INTO d FROM (
        SELECT user_id, sum(live) AS n FROM (
            SELECT user_id, -(deleted_at IS NULL)::int AS live FROM old_rows
            UNION ALL
            SELECT user_id, (deleted_at IS NULL)::int FROM new_rows) c
        GROUP BY user_id HAVING sum(live) <> 0) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_nodes'); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER nodes_count_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_insert();
CREATE TRIGGER nodes_count_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_delete();
CREATE TRIGGER nodes_count_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_update();

CREATE FUNCTION memory.count_relationships_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM new_rows GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_relationships'); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION memory.count_relationships_delete() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, -n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM old_rows GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_relationships'); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER relationships_count_insert AFTER INSERT ON memory.relationships
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_relationships_insert();
CREATE TRIGGER relationships_count_delete AFTER DELETE ON memory.relationships
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_relationships_delete();

-- ---------------------------------------------------------------- kv_store
-- The LOOKUP cache (seed 003): natural key -> node. UNLOGGED, so a crash empties it; the store
-- rebuilds it on start-up (memory.rebuild_kv_store). Kept by the triggers below.
CREATE UNLOGGED TABLE memory.kv_store (
    user_id    text        NOT NULL,
    entity_key text        NOT NULL,
    node_id    uuid        NOT NULL,
    explicit   boolean     NOT NULL,   -- the node's own key, rather than one derived from its name
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, entity_key)
);
CREATE INDEX idx_kv_store_node ON memory.kv_store (user_id, node_id);
CREATE INDEX idx_kv_store_key_trgm ON memory.kv_store USING gin (entity_key gin_trgm_ops);

-- Recomputes the kv entries of the given (user_id, key) pairs from the live nodes.
-- A key given explicitly wins over a derived one; among equals the newest node wins.
-- The lookups are LATERAL, one index probe per key: inside a transaction that just wrote the rows
-- the statistics are stale, and a planned join went quadratic on big batches. SECURITY DEFINER:
-- under row-level security the probe used the user_id index alone (quadratic again). The keys
-- come from the calling triggers' own rows; the function only recomputes entries from nodes.
CREATE FUNCTION memory.kv_refresh(keys jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
BEGIN
    WITH k AS (SELECT DISTINCT e->>0 AS user_id, e->>1 AS entity_key
               FROM jsonb_array_elements(keys) e WHERE e->>1 IS NOT NULL)
    DELETE FROM memory.kv_store kv USING k
        WHERE kv.user_id = k.user_id AND kv.entity_key = k.entity_key;

    WITH k AS (SELECT DISTINCT e->>0 AS user_id, e->>1 AS entity_key
               FROM jsonb_array_elements(keys) e WHERE e->>1 IS NOT NULL)
    INSERT INTO memory.kv_store (user_id, entity_key, node_id, explicit)
    SELECT DISTINCT ON (c.user_id, c.entity_key) c.user_id, c.entity_key, c.node_id, c.explicit
    FROM (
        SELECT k.user_id, k.entity_key, x.node_id, true AS explicit, x.created_at
        FROM k CROSS JOIN LATERAL (
            SELECT n.node_id, n.created_at FROM memory.nodes n
            WHERE n.user_id = k.user_id AND n.node_key = k.entity_key AND n.deleted_at IS NULL) x
        UNION ALL
        SELECT k.user_id, k.entity_key, x.node_id, false, x.created_at
        FROM k CROSS JOIN LATERAL (
            SELECT n.node_id, n.created_at FROM memory.nodes n
            WHERE n.user_id = k.user_id AND n.derived_key = k.entity_key AND n.node_key IS NULL
              AND n.deleted_at IS NULL) x
    ) c
    ORDER BY c.user_id, c.entity_key, c.explicit DESC, c.created_at DESC, c.node_id DESC;
END $$;

-- New rows only add keys: a new node wins its key unless an explicit key holds it and its own is derived.
CREATE FUNCTION memory.kv_track_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    INSERT INTO memory.kv_store AS kv (user_id, entity_key, node_id, explicit)
    SELECT DISTINCT ON (user_id, k) user_id, k, node_id, explicit
    FROM (SELECT user_id, coalesce(node_key, derived_key) AS k, node_id, node_key IS NOT NULL AS explicit, created_at
          FROM new_rows WHERE deleted_at IS NULL AND coalesce(node_key, derived_key) IS NOT NULL) s
    ORDER BY user_id, k, explicit DESC, created_at DESC, node_id DESC
    ON CONFLICT (user_id, entity_key) DO UPDATE
        SET node_id = EXCLUDED.node_id, explicit = EXCLUDED.explicit, updated_at = now()
        WHERE NOT kv.explicit OR EXCLUDED.explicit;
    RETURN NULL;
END $$;

CREATE FUNCTION memory.kv_track_delete() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE k jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_array(user_id, coalesce(node_key, derived_key))) INTO k
    FROM old_rows WHERE coalesce(node_key, derived_key) IS NOT NULL;
    IF k IS NOT NULL THEN PERFORM memory.kv_refresh(k); END IF;
    RETURN NULL;
END $$;

-- Rows whose key columns changed, found by set difference (hashing), not by joining the
-- transition tables; both their old and new keys are recomputed.
CREATE FUNCTION memory.kv_track_update() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE k jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_array(user_id, key)) INTO k FROM (
        (SELECT user_id, node_id, coalesce(node_key, derived_key) AS key, deleted_at IS NULL AS live FROM old_rows
         EXCEPT
         SELECT user_id, node_id, coalesce(node_key, derived_key), deleted_at IS NULL FROM new_rows)
        UNION
        (SELECT user_id, node_id, coalesce(node_key, derived_key), deleted_at IS NULL FROM new_rows
         EXCEPT
         SELECT user_id, node_id, coalesce(node_key, derived_key), deleted_at IS NULL FROM old_rows)
    ) changed WHERE key IS NOT NULL;
    IF k IS NOT NULL THEN PERFORM memory.kv_refresh(k); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER nodes_kv_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_insert();
CREATE TRIGGER nodes_kv_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_delete();
CREATE TRIGGER nodes_kv_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_update();

-- LOOKUP in one round trip: sets the user for row-level security, then reads kv_store and the
-- node. SECURITY INVOKER, so the policies apply; the setting ends with the caller's transaction.
CREATE FUNCTION memory.lookup_node(p_user text, p_key text) RETURNS SETOF memory.nodes
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    RETURN QUERY
        SELECT n.* FROM memory.kv_store kv
        JOIN memory.nodes n ON n.user_id = kv.user_id AND n.node_id = kv.node_id
        WHERE kv.user_id = p_user AND kv.entity_key = p_key AND n.deleted_at IS NULL;
END $$;

-- Rebuilds kv_store for every user when it is empty and nodes is not (after a crash emptied it).
-- SECURITY DEFINER: it runs as the schema owner, across users, and takes no input.
CREATE FUNCTION memory.rebuild_kv_store() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE rebuilt bigint := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('memgraph.rebuild_kv_store'));
    IF EXISTS (SELECT FROM memory.kv_store) OR NOT EXISTS (SELECT FROM memory.nodes) THEN
        RETURN 0;
    END IF;
    INSERT INTO memory.kv_store (user_id, entity_key, node_id, explicit)
    SELECT DISTINCT ON (user_id, k) user_id, k, node_id, node_key IS NOT NULL
    FROM (SELECT user_id, coalesce(node_key, derived_key) AS k, node_id, node_key, created_at
          FROM memory.nodes WHERE deleted_at IS NULL AND coalesce(node_key, derived_key) IS NOT NULL) s
    ORDER BY user_id, k, (node_key IS NOT NULL) DESC, created_at DESC, node_id DESC;
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    RETURN rebuilt;
END $$;

-- ---------------------------------------------------------------- embeddings
CREATE TABLE memory.embeddings (
    user_id     text        NOT NULL,
    node_id     uuid        NOT NULL,
    field       text        NOT NULL,
    model       text        NOT NULL,
    content_sha bytea       NOT NULL,
    dims        integer     NOT NULL,
    embedding   vector      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, node_id, field, model),
    FOREIGN KEY (user_id, node_id) REFERENCES memory.nodes (user_id, node_id) ON DELETE CASCADE,
    CONSTRAINT embedding_dims_match CHECK (vector_dims(embedding) = dims)
);

-- One partial HNSW index per model, so several models and dimensions share the table.
CREATE INDEX idx_embeddings_minilm_l6_v2_hnsw ON memory.embeddings
    USING hnsw ((embedding::vector(384)) vector_cosine_ops)
    WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';
CREATE INDEX idx_embeddings_user_model ON memory.embeddings (user_id, model);

-- ---------------------------------------------------------------- row-level security
ALTER TABLE memory.nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory.relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory.user_metadata ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory.kv_store ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory.embeddings ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_isolation ON memory.nodes
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());
CREATE POLICY user_isolation ON memory.relationships
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());
CREATE POLICY user_isolation ON memory.user_metadata
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());
CREATE POLICY user_isolation ON memory.kv_store
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());
CREATE POLICY user_isolation ON memory.embeddings
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT USAGE ON SCHEMA memory TO memgraph_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA memory TO memgraph_app;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA memory TO memgraph_app;
        REVOKE ALL ON memory.schema_migrations FROM memgraph_app;
        GRANT SELECT ON memory.schema_migrations TO memgraph_app;
    END IF;
END
$$;
