-- RECALL's lexical arm: a full-text document for every node, kept by the database itself
-- (docs/schema.md, RECALL). Its functions are in functions/65_recall.sql.

-- The text a node is found by in full-text search: its summary and the content fields that are
-- embedded by default (memory.embedded_fields' rows at release), each read as text: a field that
-- holds no string adds its JSON text. Checking each field's type first, as memory.field_text does,
-- took 5.4 µs a node against 0.75 µs without (100,000 nodes), and an import pays it for every node.
-- Here, not in functions/, because the generated column below is built from it.
CREATE FUNCTION memory.node_document(summary text, content jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT concat_ws(' ', coalesce(summary, content->>'summary'), content->>'content', content->>'description',
                     content->>'text', content->>'body', content->>'message', content->>'notes', content->>'entity_name')
$$;

-- The text search configuration the documents are built with, and questions parsed with:
-- 'english' by default; memory.set_text_search_config changes both (MEMGRAPH_TEXT_SEARCH_CONFIG).
CREATE TABLE memory.text_search_config (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    config    regconfig NOT NULL
);
INSERT INTO memory.text_search_config (config) VALUES ('english');

ALTER TABLE memory.nodes ADD COLUMN search_document tsvector
    GENERATED ALWAYS AS (to_tsvector('english'::regconfig, memory.node_document(summary, content))) STORED;

-- One user's documents that hold a lexeme, through btree_gin's user_id and the tsvector.
CREATE INDEX idx_nodes_search_document ON memory.nodes USING gin (user_id, search_document)
    WHERE deleted_at IS NULL;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT ON memory.text_search_config TO memgraph_app;
        GRANT EXECUTE ON FUNCTION memory.node_document(text, jsonb) TO memgraph_app;
    END IF;
END
$$;
