-- Operations applied from a session's outbox (SQLite), by the operation id the client made.
-- The row is written in the same transaction as the operation's own writes, so an operation
-- replayed after a crash (before or after this commit) is recognised and not applied twice.
CREATE TABLE memory.applied_operations (
    user_id      text        NOT NULL,
    operation_id uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('remember', 'relate', 'import')),
    applied_at   timestamptz NOT NULL DEFAULT now(),
    -- What the operation returned (JSON written by the client library); a replay returns it again.
    result       jsonb,
    PRIMARY KEY (user_id, operation_id)
);
CREATE INDEX idx_applied_operations_age ON memory.applied_operations (applied_at);

ALTER TABLE memory.applied_operations ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_isolation ON memory.applied_operations
    USING (user_id = memory.current_user_id()) WITH CHECK (user_id = memory.current_user_id());

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON memory.applied_operations TO memgraph_app;
    END IF;
END
$$;
