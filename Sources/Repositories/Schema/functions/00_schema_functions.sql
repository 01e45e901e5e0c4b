-- The app role reads which function files are applied (memory.schema_functions, made by the
-- migrator), so that start-up can tell in one query whether the schema is current and leave the
-- admin role alone when it is. In a function file, not the baseline, so that a database built by
-- the releases before the baseline gets it too.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT ON memory.schema_functions TO memgraph_app;
    END IF;
END
$$;
