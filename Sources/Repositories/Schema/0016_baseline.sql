-- memgraph schema 16, the baseline: versions 1-16 squashed into one file (see docs/schema.md).
-- Extensions, the app role, tables, indexes, row-level security, grants and seeded rows. Functions
-- and the triggers that call them live in functions/*.sql, which the migrator applies after this
-- file. Only two are defined here: memory.current_user_id, which the policies call, and
-- memory.update_last_accessed with its trigger (see there).

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- Lets a GIN trigram index lead with user_id, so a user's FUZZY reads only that user's entries.
CREATE EXTENSION IF NOT EXISTS btree_gin;
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
-- Here rather than in functions/: every table's policy calls it.
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
    CONSTRAINT entity_identity_complete CHECK ((entity_id IS NULL) = (entity_system IS NULL)),
    CONSTRAINT valid_context_type CHECK (context_type IN (
        'search_result', 'user_selection', 'tool_output', 'domain_entity',
        'completed_action', 'conversation_fact', 'temporary_state')),
    CONSTRAINT valid_base_relevance CHECK (base_relevance BETWEEN 0 AND 1),
    CONSTRAINT valid_node_key CHECK (node_key IS NULL OR length(node_key) BETWEEN 1 AND 255)
);

-- Seed 004's trigger: any real change counts as an access. It is here, with its function, because
-- PostgreSQL refuses to create it on a table that has a generated column (its WHEN compares whole
-- rows), so it must exist before summary_trigrams is added below; it cannot be re-created as it is.
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

-- The size of the summary's trigram set, which bounds the similarity it can reach (FUZZY).
ALTER TABLE memory.nodes
    ADD COLUMN summary_trigrams integer GENERATED ALWAYS AS (array_length(public.show_trgm(summary), 1)) STORED;

-- The indexes that lead with user_id are partial on live nodes, so that a foreign-key check
-- ("user_id = $1 AND node_id = $2") can only use the primary key, whatever the statistics say.
CREATE UNIQUE INDEX idx_nodes_user_key ON memory.nodes (user_id, node_key)
    WHERE node_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX idx_nodes_user_derived_key ON memory.nodes (user_id, derived_key)
    WHERE derived_key IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX idx_nodes_user_context ON memory.nodes (user_id, context_type) WHERE deleted_at IS NULL;
CREATE INDEX idx_nodes_user_created ON memory.nodes (user_id, created_at DESC) WHERE deleted_at IS NULL;
-- Entity dedup: a later store of the same (entity_system, entity_id) merges into the node.
CREATE UNIQUE INDEX unique_user_entity ON memory.nodes (user_id, entity_system, entity_id) WHERE entity_id IS NOT NULL;
CREATE INDEX idx_nodes_tags ON memory.nodes USING gin (tags);
-- FUZZY's summary trigrams, split by the summary's trigram count: FUZZY skips the buckets whose
-- summaries have too many trigrams to reach the score it needs.
CREATE INDEX idx_nodes_summary_trgm_16 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams <= 16;
CREATE INDEX idx_nodes_summary_trgm_32 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 16 AND summary_trigrams <= 32;
CREATE INDEX idx_nodes_summary_trgm_64 ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 32 AND summary_trigrams <= 64;
CREATE INDEX idx_nodes_summary_trgm_long ON memory.nodes USING gin (user_id, summary gin_trgm_ops)
    WHERE deleted_at IS NULL AND summary_trigrams > 64;

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
-- Per-user counters, kept by statement-level triggers (functions/10_nodes.sql).
CREATE TABLE memory.user_metadata (
    user_id             text        PRIMARY KEY,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_activity       timestamptz NOT NULL DEFAULT now(),
    total_nodes         integer     NOT NULL DEFAULT 0,
    total_relationships integer     NOT NULL DEFAULT 0,
    metadata            jsonb       NOT NULL DEFAULT '{}'
);

-- ---------------------------------------------------------------- kv_store
-- The LOOKUP cache: natural key -> node. UNLOGGED, so a crash empties it; the store rebuilds it on
-- start-up (memory.rebuild_kv_store). Kept by triggers on nodes (functions/20_kv_store.sql).
CREATE UNLOGGED TABLE memory.kv_store (
    user_id    text        NOT NULL,
    entity_key text        NOT NULL,
    node_id    uuid        NOT NULL,
    explicit   boolean     NOT NULL,   -- the node's own key, rather than one derived from its name
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, entity_key)
);
CREATE INDEX idx_kv_store_node ON memory.kv_store (user_id, node_id);
CREATE INDEX idx_kv_store_user_key_trgm ON memory.kv_store USING gin (user_id, entity_key gin_trgm_ops);

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

-- One partial HNSW index per model, so several models and dimensions share the table. Half
-- precision (MiniLM's vectors are unit length); SEARCH re-ranks its candidates at full precision.
CREATE INDEX idx_embeddings_minilm_l6_v2_hnsw ON memory.embeddings
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 256)
    WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';
CREATE INDEX idx_embeddings_user_model ON memory.embeddings (user_id, model);

-- ---------------------------------------------------------------- the embedding queue
-- Which fields are embedded. Edit the table to change the list; a node opts out with metadata
-- {"embed": false}.
CREATE TABLE memory.embedded_fields (
    field text PRIMARY KEY CHECK (field ~ '^[a-z_][a-z0-9_]*$')
);
INSERT INTO memory.embedded_fields (field) VALUES
    ('summary'), ('content'), ('description'), ('text'), ('body'), ('message'), ('notes'), ('entity_name');

-- One job per node and embedded field whose text changed. No foreign key to nodes: only the
-- nodes' own triggers write jobs, and memory.jobs_track_delete cascades once per statement.
CREATE TABLE memory.embedding_jobs (
    user_id     text        NOT NULL,
    node_id     uuid        NOT NULL,
    field       text        NOT NULL,
    content_sha bytea       NOT NULL,            -- sha256 of the text to embed
    status      text        NOT NULL DEFAULT 'pending',
    attempts    integer     NOT NULL DEFAULT 0,  -- failed embedding attempts
    claims      integer     NOT NULL DEFAULT 0,  -- times claimed, to catch rows that crash workers
    run_after   timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    claimed_by  text,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),  -- when the text changed: latency starts here
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, node_id, field),
    CONSTRAINT valid_job_status CHECK (status IN ('pending', 'processing', 'completed', 'failed'))
);
CREATE INDEX idx_embedding_jobs_due ON memory.embedding_jobs (run_after) WHERE status = 'pending';
CREATE INDEX idx_embedding_jobs_processing ON memory.embedding_jobs (claimed_at) WHERE status = 'processing';
CREATE INDEX idx_embedding_jobs_failed ON memory.embedding_jobs (user_id) WHERE status = 'failed';

-- A bulk insert's new nodes, one row per user, until a worker splits it into per-field jobs.
CREATE TABLE memory.embedding_batches (
    user_id    text        NOT NULL,
    batch_id   uuid        NOT NULL DEFAULT gen_random_uuid(),
    node_ids   uuid[]      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),  -- the insert's: latency starts here
    PRIMARY KEY (user_id, batch_id)
);
CREATE INDEX idx_embedding_batches_age ON memory.embedding_batches (created_at);

-- Each running pipeline reports here every sweep, so `memgraph health` in another process can
-- tell whether a worker is alive, listening and busy. Reached through definer functions only.
CREATE TABLE memory.pipeline_workers (
    name               text PRIMARY KEY,
    listener_connected boolean     NOT NULL,
    workers            integer     NOT NULL,
    busy               integer     NOT NULL,
    processed          bigint      NOT NULL,
    dead_lettered      bigint      NOT NULL,
    last_error         text,
    started_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- applied_operations
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

-- ---------------------------------------------------------------- search_index_builds
-- Not user data: one row per indexed model, the number of vectors its HNSW index was last built
-- over, so the worker can rebuild it once it has doubled. Reached through definer functions only.
CREATE TABLE memory.search_index_builds (
    model            text        PRIMARY KEY,
    vectors_at_build bigint      NOT NULL CHECK (vectors_at_build >= 0),
    built_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO memory.search_index_builds (model, vectors_at_build)
VALUES ('sentence-transformers/all-MiniLM-L6-v2', 0);

-- ---------------------------------------------------------------- row-level security
-- Every table of user data: a transaction sees and writes only the rows of its user
-- (memory.current_user_id). The app role owns nothing, so the policies bind it.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['nodes', 'relationships', 'user_metadata', 'kv_store', 'embeddings',
                             'embedding_jobs', 'embedding_batches', 'applied_operations'] LOOP
        EXECUTE format('ALTER TABLE memory.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY user_isolation ON memory.%I USING (user_id = memory.current_user_id())'
                       ' WITH CHECK (user_id = memory.current_user_id())', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------- the app role's grants
-- Table by table, never ALL TABLES: each grant is a decision (functions/00_schema_functions.sql
-- grants the read of the migrator's function records).
-- MAINTAIN lets the app role REINDEX the embeddings' indexes (REINDEX CONCURRENTLY cannot run
-- inside a definer function). Each functions/ file grants its own functions.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT USAGE ON SCHEMA memory TO memgraph_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON memory.nodes, memory.relationships, memory.user_metadata,
            memory.kv_store, memory.embeddings, memory.embedding_jobs, memory.embedding_batches,
            memory.applied_operations TO memgraph_app;
        GRANT MAINTAIN ON memory.embeddings TO memgraph_app;
        GRANT SELECT ON memory.embedded_fields, memory.schema_migrations TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.current_user_id(), memory.update_last_accessed() TO memgraph_app;
    END IF;
END
$$;
