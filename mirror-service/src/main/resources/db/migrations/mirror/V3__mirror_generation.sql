-- The mirror's generation: how many changes it has synced from Redis into synced_keys. The same
-- number rides in Redis's iptv:sentinel (g{generation}:...): a Redis restarted from an older
-- snapshot carries an older one, and is brought to this copy's state rather than the reverse.

CREATE TABLE mirror_state (
    id         smallint    PRIMARY KEY CHECK (id = 1),
    generation bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mirror_state (id, generation) VALUES (1, 0);
