-- kv_store, the LOOKUP cache (natural key -> node): the triggers on nodes that keep it, and its
-- rebuild after a crash emptied it.
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- Recomputes the kv entries of the given (user_id, key) pairs from the live nodes.
-- A key given explicitly wins over a derived one; among equals the newest node wins.
-- The lookups are LATERAL, one index probe per key: inside a transaction that just wrote the rows
-- the statistics are stale, and a planned join went quadratic on big batches. SECURITY DEFINER:
-- under row-level security the probe used the user_id index alone (quadratic again). The keys
-- come from the calling triggers' own rows; the function only recomputes entries from nodes.
CREATE OR REPLACE FUNCTION memory.kv_refresh(keys jsonb) RETURNS void
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
CREATE OR REPLACE FUNCTION memory.kv_track_insert() RETURNS trigger LANGUAGE plpgsql
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

CREATE OR REPLACE FUNCTION memory.kv_track_delete() RETURNS trigger LANGUAGE plpgsql
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
CREATE OR REPLACE FUNCTION memory.kv_track_update() RETURNS trigger LANGUAGE plpgsql
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

CREATE OR REPLACE TRIGGER nodes_kv_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_insert();
CREATE OR REPLACE TRIGGER nodes_kv_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_delete();
CREATE OR REPLACE TRIGGER nodes_kv_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.kv_track_update();

-- Rebuilds kv_store for every user when it is empty and nodes is not (after a crash emptied it).
-- SECURITY DEFINER: it runs as the schema owner, across users, and takes no input.
CREATE OR REPLACE FUNCTION memory.rebuild_kv_store() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
DECLARE rebuilt bigint := 0;
BEGIN
    -- Complete: the marker (kv_store_built, emptied by crash recovery with kv_store) is there and
    -- kv_store is not empty while nodes are not (a manual TRUNCATE keeps the marker).
    IF EXISTS (SELECT FROM memory.kv_store_built)
       AND (EXISTS (SELECT FROM memory.kv_store) OR NOT EXISTS (SELECT FROM memory.nodes)) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('memgraph.rebuild_kv_store'));
    IF EXISTS (SELECT FROM memory.kv_store_built)
       AND (EXISTS (SELECT FROM memory.kv_store) OR NOT EXISTS (SELECT FROM memory.nodes)) THEN
        RETURN 0;  -- another session rebuilt it while this one waited
    END IF;
    -- Entries written since the crash are kept (the triggers wrote them for the newest nodes),
    -- except that an explicit key wins over a derived one, as the triggers' rule says: a node
    -- written since with a derived key must not hide an older node whose own key it is.
    INSERT INTO memory.kv_store AS kv (user_id, entity_key, node_id, explicit)
    SELECT DISTINCT ON (user_id, k) user_id, k, node_id, node_key IS NOT NULL
    FROM (SELECT user_id, coalesce(node_key, derived_key) AS k, node_id, node_key, created_at
          FROM memory.nodes WHERE deleted_at IS NULL AND coalesce(node_key, derived_key) IS NOT NULL) s
    ORDER BY user_id, k, (node_key IS NOT NULL) DESC, created_at DESC, node_id DESC
    ON CONFLICT (user_id, entity_key) DO UPDATE
        SET node_id = excluded.node_id, explicit = true, updated_at = now()
        WHERE NOT kv.explicit AND excluded.explicit;
    GET DIAGNOSTICS rebuilt = ROW_COUNT;
    INSERT INTO memory.kv_store_built (built, rebuilt_at) VALUES (true, now())
    ON CONFLICT (built) DO UPDATE SET rebuilt_at = excluded.rebuilt_at;
    RETURN rebuilt;
END $$;

-- Called before every read of kv_store (LOOKUP, FUZZY's keys, RECALL's names, an import's key
-- resolution): one probe of a one-row table while the cache is complete; after a crash, the
-- rebuild, once, whichever process reads first. Returns the entries the rebuild wrote.
CREATE OR REPLACE FUNCTION memory.ensure_kv_store() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
BEGIN
    IF EXISTS (SELECT FROM memory.kv_store_built) THEN
        RETURN 0;
    END IF;
    RETURN memory.rebuild_kv_store();
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.kv_refresh(jsonb), memory.kv_track_insert(), memory.kv_track_delete(),
            memory.kv_track_update(), memory.rebuild_kv_store(), memory.ensure_kv_store() TO memgraph_app;
        -- The marker holds no user's data; LOOKUP probes it before calling ensure_kv_store.
        GRANT SELECT ON memory.kv_store_built TO memgraph_app;
    END IF;
END
$$;
