-- memgraph schema 15: SEARCH's HNSW graph is built with ef_construction 256 (was 128 since
-- schema 8), so that its recall no longer depends on the luck of the build.
--
-- pgvector draws each vector's layer at random when it inserts or builds, so two graphs of the
-- same vectors differ, and with 128 some graphs left a few regions badly linked: a question whose
-- neighbours lie there walks into another region and comes back with none of its true top 10.
-- `memgraph bench store` (one user's 100,000 summaries among 100,000 vectors of 4 other users)
-- gave SEARCH recall@10 0.976-0.982 in six runs and 0.926 in one, with the same vectors and
-- questions. Rebuilding the index of one such cluster with CREATE INDEX, then asking 500
-- questions "What does <name> do, and for which account?" (recall@10 at ef_search 400 against an
-- exact scan of the user's vectors):
--   ef_construction 128: 0.947, 0.975, 0.973, 0.973, 0.972 (five builds; at ef_search 600: 0.958
--     for the 0.947 graph, 0.983-0.986 for the others, and 800 still only 0.968: a bad graph is
--     not rescued by searching wider)
--   ef_construction 192: 0.981, 0.965
--   ef_construction 256: 0.985, 0.985, 0.986 (at ef_search 600: 0.993, 0.993, 0.992; at 300: 0.977)
--   m 24 or 32 at 128: 0.974, 0.976, 0.977: more links per vector do not do what a wider
--     construction search does.
-- The 256 graph searches no slower (500 questions at ef_search 400: 1.9-3.4 s against 2.2-3.7 s
-- at 128, the host noisy) and is the same size (223 MB for 200,000 vectors).
-- Graphs built by inserts, as the embedding worker builds them, vary more: four `bench store`
-- runs with this schema gave SEARCH recall@10 0.9325, 0.993, 0.9855 and 0.991 (at ef_search 600:
-- 0.938, 0.998, 0.9975, 0.998). The bad build is not gone, but the usual one is better than 128's
-- 0.976-0.982.
--
-- It costs every insert: each new vector's neighbours are searched with a list of 256 instead of
-- 128. 5,000 vectors inserted in one statement into an index of 190,000: 2.2-3.0 ms a vector at
-- 128, 4.2-4.8 ms at 256. `bench store` stored its user's 100,000 summary embeddings (embedding
-- overlapped with storing) at 450-609 a second against 655 at 128. Into a small index it is
-- less: `memgraph bench pipeline` on a fresh cluster, insert to embedding p50 8.4 ms, p99 12.5,
-- 670 embeddings/s sustained (at 128, earlier stops: 7.4-8.2, 10.4-11.6, 733-901).
--
-- Rebuilding the index here takes about 45 s per 100,000 vectors already stored (CREATE INDEX
-- builds in memory when the graph fits in maintenance_work_mem; 200,000 vectors need about
-- 300 MB).
SET LOCAL maintenance_work_mem = '1GB';
DROP INDEX memory.idx_embeddings_minilm_l6_v2_hnsw;
CREATE INDEX idx_embeddings_minilm_l6_v2_hnsw ON memory.embeddings
    USING hnsw ((embedding::halfvec(384)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 256)
    WHERE model = 'sentence-transformers/all-MiniLM-L6-v2';
