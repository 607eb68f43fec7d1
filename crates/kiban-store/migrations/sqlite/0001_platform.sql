-- Platform tables: municipalities (tenants), per-municipality number
-- sequences, staff and operator accounts, tokens, jobs, the outbox and the
-- access log. Every tenant table's primary key starts with municipality_code;
-- no unique constraint spans tenants.

CREATE TABLE municipalities (
    municipality_code TEXT PRIMARY KEY CHECK (length(municipality_code) = 6 AND municipality_code NOT GLOB '*[^0-9]*'),
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE number_sequences (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    sequence_name TEXT NOT NULL,
    next_value INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, sequence_name)
) STRICT;

CREATE TABLE staff_accounts (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    login TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, login)
) STRICT;

CREATE TABLE operator_accounts (
    login TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
) STRICT;

-- Bearer tokens and browser sessions of staff. The secret is never stored:
-- only its SHA-256 digest. token_id is the public half of the token.
CREATE TABLE staff_tokens (
    municipality_code TEXT NOT NULL,
    token_id TEXT NOT NULL,
    login TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (municipality_code, token_id),
    FOREIGN KEY (municipality_code, login) REFERENCES staff_accounts (municipality_code, login)
) STRICT;

CREATE TABLE operator_tokens (
    token_id TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES operator_accounts (login),
    kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

-- Progress of long, resumable work (generation, import, batches): the number
-- of chunks committed, written in the same transaction as each chunk.
CREATE TABLE job_progress (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    job_name TEXT NOT NULL,
    job_key TEXT NOT NULL,
    total_chunks INTEGER NOT NULL,
    chunks_done INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (municipality_code, job_name, job_key)
) STRICT;

-- Domain events for other businesses (庁内データ連携), written in the same
-- transaction as the change that caused them.
CREATE TABLE outbox (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    event_id INTEGER NOT NULL,
    event_kind TEXT NOT NULL,
    movement_id INTEGER,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, event_id)
) STRICT;

CREATE TABLE outbox_offsets (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    consumer TEXT NOT NULL,
    last_event_id INTEGER NOT NULL,
    PRIMARY KEY (municipality_code, consumer)
) STRICT;

-- 利用履歴: who read or changed whose data, when and why. Append-only and
-- hash-chained per municipality.
CREATE TABLE audit_log (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    entry_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    person_id INTEGER,
    purpose TEXT,
    request_id TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    PRIMARY KEY (municipality_code, entry_id)
) STRICT;
CREATE INDEX audit_log_person ON audit_log (municipality_code, person_id, entry_id);
CREATE INDEX audit_log_actor ON audit_log (municipality_code, actor, at);
