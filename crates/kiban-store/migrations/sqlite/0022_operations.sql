-- The service operator's records (運用): backups, restore drills, the
-- server's own availability probes, request statistics and incidents.
-- None holds resident data: counts, digests, timings and the operator's own
-- words. They are platform tables, not tenant data: where a row concerns
-- one municipality it names it in `municipality` (empty for the service
-- as a whole), and they are neither in the standard export nor reachable
-- through a tenant handle.

-- One row per `kiban backup create`: running, then succeeded or failed.
CREATE TABLE ops_backups (
    backup_id TEXT PRIMARY KEY,
    engine TEXT NOT NULL CHECK (engine IN ('sqlite', 'postgres')),
    location TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    detail TEXT NOT NULL
) STRICT;

-- One row per restore drill, with the report it printed (JSON).
CREATE TABLE ops_restore_drills (
    drill_id TEXT PRIMARY KEY,
    restored_from TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
    report TEXT NOT NULL
) STRICT;
CREATE INDEX ops_restore_drills_finished ON ops_restore_drills (finished_at);

-- The server's own probe, once a minute per running server (instance):
-- whether it answered its health check and reached the database. A minute
-- the database was unreachable is written once the database is back.
CREATE TABLE ops_probes (
    minute TEXT NOT NULL,
    instance TEXT NOT NULL,
    up INTEGER NOT NULL CHECK (up IN (0, 1)),
    detail TEXT NOT NULL,
    PRIMARY KEY (minute, instance)
) STRICT;

-- Requests per hour (UTC, 'YYYY-MM-DDTHH'), server instance, municipality
-- and route: counts,
-- errors (5xx), answered within 3 s, CPU time of the handlers in
-- microseconds, and the latency histogram (counts per bucket of
-- kiban-web's fixed bounds, JSON array). Added to once a minute by the
-- instance that served them (each instance writes only its own rows).
CREATE TABLE ops_request_stats (
    hour TEXT NOT NULL,
    instance TEXT NOT NULL,
    municipality TEXT NOT NULL,
    route TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    within_3s INTEGER NOT NULL,
    cpu_micros INTEGER NOT NULL,
    histogram TEXT NOT NULL,
    PRIMARY KEY (hour, instance, municipality, route)
) STRICT;

-- Job steps run and their CPU time (microseconds) per hour, instance and
-- municipality.
CREATE TABLE ops_job_usage (
    hour TEXT NOT NULL,
    instance TEXT NOT NULL,
    municipality TEXT NOT NULL,
    steps INTEGER NOT NULL,
    cpu_micros INTEGER NOT NULL,
    PRIMARY KEY (hour, instance, municipality)
) STRICT;

-- Incidents and inquiries (障害・問い合わせ記録).
CREATE TABLE ops_incidents (
    incident_id INTEGER PRIMARY KEY,
    severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    summary TEXT NOT NULL,
    municipality TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    resolution TEXT
) STRICT;
