-- SEARCH's HNSW graph holds only the vectors of the users it serves (docs/schema.md, SEARCH and its
-- HNSW index, schema 21). A user with fewer live nodes than memory.exact_search_below() is searched
-- by an exact scan of their own vectors, never through the graph, yet every vector they stored was
-- inserted into it: the graph insert was the largest part of storing an embedding (about 1 ms of
-- the worker's complete at ef_construction 256), paid by most users for nothing, and their vectors
-- crowded the lists of the users the graph does serve.
-- in_graph says whether a row is in the graph. Rows are stored in it when their user is at or over
-- the limit (functions/35_embedding_worker.sql, Records/EmbeddingRecord.swift), and a user who
-- grows past it has their earlier rows moved in by the worker's search index upkeep
-- (memory.move_into_search_graph, functions/70_search_index.sql); SEARCH reads a large user's rows
-- that are not in it yet by an exact scan beside the graph, so none is missed meanwhile.
-- Rows stored before this version keep their place (true) unless their user is under the limit; the
-- graph is rebuilt here without those, which also makes the update below cheap (no graph to update).
ALTER TABLE memory.embeddings ADD COLUMN in_graph boolean NOT NULL DEFAULT true;
ALTER TABLE memory.embeddings ALTER COLUMN in_graph SET DEFAULT false;

-- A MiniLM vector must fit half precision, as the graph stores it. The graph's insert refused one
-- that did not; rows outside the graph are checked here, so that none fails its move into it later.
ALTER TABLE memory.embeddings ADD CONSTRAINT embedding_fits_half_precision
    CHECK (model <> 'sentence-transformers/all-MiniLM-L6-v2' OR (embedding::public.halfvec(384)) IS NOT NULL);

DROP INDEX memory.idx_embeddings_minilm_l6_v2_hnsw;
DROP INDEX memory.idx_embeddings_user_model;

UPDATE memory.embeddings e SET in_graph = false
WHERE NOT EXISTS (
    SELECT FROM (
        SELECT x.user_id, sum(x.nodes) AS nodes FROM (
            SELECT m.user_id, m.total_nodes AS nodes FROM memory.user_metadata m
            UNION ALL
            SELECT d.user_id, d.nodes FROM memory.user_count_deltas d
        ) x GROUP BY x.user_id
    ) large
    WHERE large.user_id = e.user_id AND large.nodes >= 5000);

-- One partial HNSW index per model, so several models and dimensions share the table, over the
-- rows in the graph. Half precision (MiniLM's vectors are unit length); SEARCH re-ranks its
-- candidates at full precision.
-- Built in one pass, serially (a parallel build gave a graph of lower recall: docs/schema.md), and
-- recorded as the index's last build.
SET LOCAL max_parallel_maintenance_workers = 0;
SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX idx_embeddings_minilm_l6_v2_hnsw ON memory.embeddings
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 256)
    WHERE model = 'sentence-transformers/all-MiniLM-L6-v2' AND in_graph;
-- A user's vectors (the exact scan), and among a large user's those not in the graph yet.
CREATE INDEX idx_embeddings_user_model ON memory.embeddings (user_id, model, in_graph);

UPDATE memory.search_index_builds
SET vectors_at_build = (SELECT count(*) FROM memory.embeddings e WHERE e.model = 'sentence-transformers/all-MiniLM-L6-v2' AND e.in_graph),
    built_at = now()
WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';
