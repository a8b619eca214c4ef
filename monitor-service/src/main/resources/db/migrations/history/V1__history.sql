-- History of streams, viewers and events (monitor-service). Times are timestamptz (UTC).

CREATE TABLE stream_sessions (
    id           bigserial   PRIMARY KEY,
    channel      text        NOT NULL,
    node         text        NOT NULL DEFAULT '',
    started      timestamptz NOT NULL,
    stopped      timestamptz,
    reason       text,
    mode         text        CHECK (mode IN ('copy', 'transcode')),
    restarts     integer     NOT NULL DEFAULT 0,
    last_restart timestamptz,
    -- every monitor hears every stream event: the same start is one session
    CONSTRAINT stream_sessions_once UNIQUE (channel, node, started)
);
CREATE INDEX stream_sessions_started ON stream_sessions (started DESC);
CREATE INDEX stream_sessions_channel ON stream_sessions (channel, started DESC);
CREATE INDEX stream_sessions_open ON stream_sessions (channel, node) WHERE stopped IS NULL;

CREATE TABLE viewer_sessions (
    id         uuid        PRIMARY KEY,
    username   text,
    channel    text        NOT NULL,
    ip         text        NOT NULL,
    user_agent text,
    started    timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    ended      timestamptz,
    bytes      bigint      NOT NULL DEFAULT 0
);
CREATE INDEX viewer_sessions_started ON viewer_sessions (started DESC);
CREATE INDEX viewer_sessions_user ON viewer_sessions (username, started DESC);
CREATE INDEX viewer_sessions_channel ON viewer_sessions (channel, started DESC);
CREATE INDEX viewer_sessions_open ON viewer_sessions (last_seen) WHERE ended IS NULL;

CREATE TABLE events (
    id      bigserial   PRIMARY KEY,
    ts      timestamptz NOT NULL,
    kind    text        NOT NULL,
    channel text,
    node    text,
    detail  jsonb       NOT NULL DEFAULT '{}'::jsonb
);
-- every monitor hears every published event: the same event is one row
CREATE UNIQUE INDEX events_once ON events (ts, kind, coalesce(channel, ''), coalesce(node, ''),
    coalesce(detail ->> 'username', ''));
CREATE INDEX events_ts ON events (ts DESC);
CREATE INDEX events_channel ON events (channel, ts DESC);
CREATE INDEX events_kind ON events (kind, ts DESC);
