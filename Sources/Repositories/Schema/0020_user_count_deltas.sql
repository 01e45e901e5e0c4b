-- The per-user counters without a lock that writes wait on (docs/schema.md, Counters). Every node
-- or relationship write used to update its user's row in memory.user_metadata and hold that row
-- until commit, so a user's concurrent writes ran one at a time (bench serve: sync remember held at
-- ~125/s with cores idle). Now a write that finds the row taken by another transaction adds its
-- change here instead, and the next write that gets the row folds these in
-- (memory.add_user_counts, functions/10_nodes.sql). A user's counts are the row plus its deltas
-- (memory.user_counts).
CREATE TABLE memory.user_count_deltas (
    user_id       text        NOT NULL,
    nodes         integer     NOT NULL DEFAULT 0,
    relationships integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_user_count_deltas_user ON memory.user_count_deltas (user_id);

ALTER TABLE memory.user_count_deltas ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_isolation ON memory.user_count_deltas USING (user_id = memory.current_user_id())
    WITH CHECK (user_id = memory.current_user_id());

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT, INSERT, DELETE ON memory.user_count_deltas TO memgraph_app;
    END IF;
END
$$;
