-- Credentials for `memgraph serve` (docs/serve.md): API keys, stored as the SHA-256 of their
-- secret, never the secret. A service key (scope_user NULL) may act for any user; a user key only
-- for scope_user. Not user data, so no row-level security: the app role reads a key by its hash
-- to authenticate a request, and `memgraph keys` creates and revokes them.
CREATE TABLE memory.api_keys (
    key_id      uuid        PRIMARY KEY DEFAULT uuidv7(),
    name        text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    secret_hash bytea       NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    scope_user  text        CHECK (scope_user IS NULL OR length(scope_user) BETWEEN 1 AND 255),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'memgraph_app') THEN
        GRANT SELECT, INSERT, UPDATE ON memory.api_keys TO memgraph_app;
    END IF;
END
$$;
