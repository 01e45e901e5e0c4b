-- Nodes: entity dedup, the per-user counters in memory.user_metadata (and user_count_deltas), and access counting. (The
-- access trigger lives in the baseline, which cannot re-create it as it is; its function's body
-- lives here.)
-- Repeatable: the migrator re-applies this file whenever it changes (see docs/schema.md).

-- Entity dedup: a later store of the same (entity_system, entity_id) merges into the node.
-- entity_data is merged with new keys winning (and left out when neither has it); other
-- top-level keys are replaced; update_count counts merges (plus any already folded together in
-- the caller's batch); last_updated is now.
CREATE OR REPLACE FUNCTION memory.merge_entity_content(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT old || (new - 'entity_data' - 'update_count' - 'last_updated')
        || CASE WHEN old ? 'entity_data' OR new ? 'entity_data'
                THEN jsonb_build_object('entity_data', coalesce(old->'entity_data', '{}') || coalesce(new->'entity_data', '{}'))
                ELSE '{}' END
        || jsonb_build_object(
            'update_count', coalesce((old->>'update_count')::int, 0) + 1 + coalesce((new->>'update_count')::int, 0),
            'last_updated', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- A keyed write of a node that is not an entity, under a key an entity holds, is refused as the
-- key index refuses an entity whose key a node that is not an entity holds: merged, it gave the
-- entity the node's type while the entity kept its identity (NodeRecord's keyed upsert calls this
-- in its conflict clause). Raised as a unique violation (23505) of the constraint named below,
-- which the Swift side names to the user; the message holds no key (keys are user data).
CREATE OR REPLACE FUNCTION memory.refuse_entity_key() RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the key is an entity''s; a node that is not an entity cannot take it'
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'nodes_entity_key';
END $$;

-- Adds per-user deltas. Statement-level, so a batch of 10,000 rows touches each user's row once.
-- The trigger functions below plan each run afresh (force_custom_plan): their transition tables
-- differ in size from call to call, and a plan cached for a small batch is quadratic for a big one.
-- A write never waits here for another write's commit: it takes the user's row only when no other
-- transaction holds it (SKIP LOCKED), folding in the deltas committed meanwhile; else it adds its
-- change to memory.user_count_deltas (schema 20). A user's counts: memory.user_counts.
CREATE OR REPLACE FUNCTION memory.add_user_counts(deltas jsonb, column_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    u text;
    n integer;
    node_delta integer;
    relationship_delta integer;
BEGIN
    FOR u, n IN SELECT key, value::int FROM jsonb_each_text(deltas) LOOP
        node_delta := CASE WHEN column_name = 'total_nodes' THEN n ELSE 0 END;
        relationship_delta := n - node_delta;
        PERFORM FROM memory.user_metadata m WHERE m.user_id = u FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            WITH folded AS (
                DELETE FROM memory.user_count_deltas d WHERE d.user_id = u RETURNING d.nodes, d.relationships
            ), total AS (
                SELECT coalesce(sum(f.nodes), 0) AS nodes, coalesce(sum(f.relationships), 0) AS relationships FROM folded f
            )
            UPDATE memory.user_metadata m
            SET total_nodes = GREATEST(0, m.total_nodes + t.nodes + node_delta),
                total_relationships = GREATEST(0, m.total_relationships + t.relationships + relationship_delta),
                last_activity = now()
            FROM total t
            WHERE m.user_id = u;
        ELSE
            -- Another transaction holds the row, or there is none yet (the user's first write). An
            -- INSERT … ON CONFLICT would wait for the holder (its update makes the conflict
            -- uncertain until it commits), so it is tried only when no row is seen; it then waits
            -- only for a concurrent first write of the user.
            PERFORM FROM memory.user_metadata m WHERE m.user_id = u;
            IF NOT FOUND THEN
                INSERT INTO memory.user_metadata (user_id, total_nodes, total_relationships)
                VALUES (u, GREATEST(0, node_delta), GREATEST(0, relationship_delta))
                ON CONFLICT (user_id) DO NOTHING;
                IF FOUND THEN
                    CONTINUE;
                END IF;
            END IF;
            INSERT INTO memory.user_count_deltas (user_id, nodes, relationships)
            VALUES (u, node_delta, relationship_delta);
        END IF;
    END LOOP;
END
$$;

-- A user's counters and last write: the row in memory.user_metadata plus the deltas not folded
-- into it yet. No row when the user has never written.
CREATE OR REPLACE FUNCTION memory.user_counts(
    p_user text, OUT total_nodes integer, OUT total_relationships integer, OUT last_activity timestamptz
) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT GREATEST(0, coalesce(m.total_nodes, 0) + coalesce(d.nodes, 0))::integer,
           GREATEST(0, coalesce(m.total_relationships, 0) + coalesce(d.relationships, 0))::integer,
           GREATEST(m.last_activity, d.last_activity)
    FROM (SELECT sum(x.nodes) AS nodes, sum(x.relationships) AS relationships, max(x.created_at) AS last_activity,
                 count(*) AS deltas
          FROM memory.user_count_deltas x WHERE x.user_id = p_user) d
    LEFT JOIN memory.user_metadata m ON m.user_id = p_user
    WHERE m.user_id IS NOT NULL OR d.deltas > 0
$$;

-- Live nodes (deleted_at IS NULL) are what total_nodes counts.
CREATE OR REPLACE FUNCTION memory.count_nodes_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM new_rows WHERE deleted_at IS NULL GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_nodes'); END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION memory.count_nodes_delete() RETURNS trigger LANGUAGE plpgsql
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
CREATE OR REPLACE FUNCTION memory.count_nodes_update() RETURNS trigger LANGUAGE plpgsql
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

CREATE OR REPLACE TRIGGER nodes_count_insert AFTER INSERT ON memory.nodes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_insert();
CREATE OR REPLACE TRIGGER nodes_count_delete AFTER DELETE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_delete();
CREATE OR REPLACE TRIGGER nodes_count_update AFTER UPDATE ON memory.nodes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION memory.count_nodes_update();

CREATE OR REPLACE FUNCTION memory.count_relationships_insert() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM new_rows GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_relationships'); END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION memory.count_relationships_delete() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE d jsonb;
BEGIN
    SELECT jsonb_object_agg(user_id, -n) INTO d FROM (
        SELECT user_id, count(*) AS n FROM old_rows GROUP BY user_id) s;
    IF d IS NOT NULL THEN PERFORM memory.add_user_counts(d, 'total_relationships'); END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER relationships_count_insert AFTER INSERT ON memory.relationships
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_relationships_insert();
CREATE OR REPLACE TRIGGER relationships_count_delete AFTER DELETE ON memory.relationships
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION memory.count_relationships_delete();

-- Seed 004's trigger (BEFORE UPDATE, when the row changes): a write counts as an access, unless the
-- update sets access_count itself, as memory.record_access does with the reads it counted.
CREATE OR REPLACE FUNCTION memory.update_last_accessed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.access_count IS DISTINCT FROM OLD.access_count THEN
        RETURN NEW;
    END IF;
    NEW.last_accessed = now();
    NEW.access_count = OLD.access_count + 1;
    RETURN NEW;
END
$$;

-- Reads counted as accesses (Repositories' AccessLog): adds each node's count of reads to its
-- access_count and moves last_accessed up to its latest read (never past now), for every user in
-- one statement (a worker-like cross-user entry point: it changes only these two columns of live
-- nodes named with their user). It never waits for a lock: the nodes a writer holds are skipped
-- and returned, for the caller to count at its next flush.
CREATE OR REPLACE FUNCTION memory.record_access(p_users text[], p_nodes uuid[], p_counts bigint[], p_at timestamptz[])
RETURNS TABLE (user_id text, node_id uuid) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, memory AS $$
BEGIN
    RETURN QUERY
    WITH reads AS (
        SELECT r.user_id, r.node_id, sum(r.n)::integer AS n, least(max(r.at), now()) AS at
        FROM unnest(p_users, p_nodes, p_counts, p_at) AS r(user_id, node_id, n, at)
        WHERE r.n > 0
        GROUP BY r.user_id, r.node_id
    ), locked AS (
        SELECT n.user_id, n.node_id FROM memory.nodes n JOIN reads r ON (r.user_id, r.node_id) = (n.user_id, n.node_id)
        WHERE n.deleted_at IS NULL
        FOR NO KEY UPDATE OF n SKIP LOCKED
    ), counted AS (
        UPDATE memory.nodes n
        SET access_count = n.access_count + r.n, last_accessed = greatest(n.last_accessed, r.at)
        FROM reads r JOIN locked l ON (l.user_id, l.node_id) = (r.user_id, r.node_id)
        WHERE n.user_id = r.user_id AND n.node_id = r.node_id
        RETURNING n.user_id, n.node_id
    )
    -- Live nodes that were not counted: a writer holds them.
    SELECT r.user_id, r.node_id FROM reads r
    JOIN memory.nodes n ON (n.user_id, n.node_id) = (r.user_id, r.node_id) AND n.deleted_at IS NULL
    WHERE NOT EXISTS (SELECT FROM counted c WHERE (c.user_id, c.node_id) = (r.user_id, r.node_id));
END $$;

REVOKE ALL ON FUNCTION memory.record_access(text[], uuid[], bigint[], timestamptz[]) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT EXECUTE ON FUNCTION memory.record_access(text[], uuid[], bigint[], timestamptz[]) TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.merge_entity_content(jsonb, jsonb), memory.refuse_entity_key(), memory.add_user_counts(jsonb, text),
            memory.user_counts(text),
            memory.count_nodes_insert(), memory.count_nodes_delete(), memory.count_nodes_update(),
            memory.count_relationships_insert(), memory.count_relationships_delete() TO memgraph_app;
    END IF;
END
$$;
