-- 庁内データ連携 (PUSH): the hosts a municipality's webhooks may reach,
-- its webhooks with their position in the outbox, and every delivery
-- attempt.

-- The allow-list: a webhook's URL must name one of these hosts, at
-- registration and at every delivery (`kiban webhook allow-host`).
CREATE TABLE webhook_allowed_hosts (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    host TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, host)
);

-- A webhook: where events of the listed types are POSTed, and how far it
-- is. last_seq is the last outbox event it is done with (delivered, or
-- not of its types); it starts at the newest event at creation. status:
-- active, retrying (the next event of its types failed `failures` times
-- since retry_since; the next attempt from next_attempt_at on), parked
-- (given up: later events wait until resumed), disabled. attempts counts
-- every attempt at that event (on after a resume, which starts the
-- failures and the retry period over). The signing secret is
-- sealed under the municipality's data key (aad `webhook_secret|M|ID`).
-- lease_until/leased_by: the worker delivering it now, so that two workers
-- never deliver one webhook's events side by side.
CREATE TABLE webhooks (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    webhook_id BIGINT NOT NULL,
    url TEXT NOT NULL,
    types TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retrying', 'parked', 'disabled')),
    last_seq BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    retry_since TEXT,
    next_attempt_at TEXT,
    last_error TEXT,
    lease_until TEXT,
    leased_by TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, webhook_id)
);

-- Every delivery attempt of a webhook: the event (seq), the attempt's
-- number for that event (counting on after a resume), when, and how it
-- ended. Attempts of one webhook are made in (seq, attempt) order, so
-- that order is also the order in time.
CREATE TABLE webhook_deliveries (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    webhook_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    http_status BIGINT,
    error TEXT,
    PRIMARY KEY (municipality_code, webhook_id, seq, attempt),
    FOREIGN KEY (municipality_code, webhook_id) REFERENCES webhooks (municipality_code, webhook_id)
);
