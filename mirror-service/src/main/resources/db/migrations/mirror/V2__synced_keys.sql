-- Durable mirror of what the panel synced into Redis (monitor-service): the raw values of
-- user:{username}, token:{token} (with the end of its TTL) and channel:{id}. users:all and
-- channels:all are rebuilt from the user: and channel: rows when Redis is restored.

CREATE TABLE synced_keys (
    key        text        PRIMARY KEY,
    value      text        NOT NULL,
    expires_at timestamptz,
    -- the username a user: or token: row belongs to, so deleting a user drops its tokens
    owner      text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX synced_keys_owner ON synced_keys (owner) WHERE owner IS NOT NULL;
