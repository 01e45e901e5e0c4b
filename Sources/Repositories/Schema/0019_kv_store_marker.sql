-- The LOOKUP cache's completeness marker (docs/schema.md, LOOKUP and kv_store). UNLOGGED like
-- kv_store, so crash recovery empties both together: a missing row means kv_store may be missing
-- entries, even when rows written since the crash make it look filled. memory.ensure_kv_store()
-- (functions/20_kv_store.sql) checks it before every read of kv_store and rebuilds when it is gone.
CREATE UNLOGGED TABLE memory.kv_store_built (
    built      boolean     PRIMARY KEY DEFAULT true CHECK (built),
    rebuilt_at timestamptz NOT NULL DEFAULT now()
);
-- No row yet: a kv_store left half-empty before this version is completed by the first
-- memory.ensure_kv_store() (start-up calls it), which then writes the row.
