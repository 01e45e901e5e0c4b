-- memgraph schema 5: LOOKUP reads its node through the primary key, whatever the statistics say.
--
-- lookup_node joined kv_store to nodes with "n.deleted_at IS NULL". For a user the statistics do
-- not know (a new user, or one outside the most common values of user_id) Postgres guesses one
-- row, and then may read nodes through any index of the user (the partial ones on live nodes
-- included) and filter node_id over all of the user's rows. The node is now read in a LIMIT 1
-- subquery that says nothing about deleted_at: no partial index applies there, and the primary
-- key (user_id, node_id) is the only way in. FUZZY and SEARCH do the same in their statements.
CREATE OR REPLACE FUNCTION memory.lookup_node(p_user text, p_key text) RETURNS SETOF memory.nodes
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('memgraph.user_id', p_user, true);
    RETURN QUERY
        SELECT n.* FROM memory.kv_store kv
        CROSS JOIN LATERAL (
            SELECT * FROM memory.nodes x WHERE x.user_id = kv.user_id AND x.node_id = kv.node_id LIMIT 1) n
        WHERE kv.user_id = p_user AND kv.entity_key = p_key AND n.deleted_at IS NULL;
END $$;
