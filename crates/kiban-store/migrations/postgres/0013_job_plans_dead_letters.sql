-- Batch plans (年間・月間・日次計画) and the outbox consumers' dead letters.

-- A municipality's batch plan: one row per planned job, in the plan's
-- order. A PUT of the plan replaces its rows; an entry kept unchanged keeps
-- its added_at (slots before it are never enqueued).
CREATE TABLE job_plans (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    position BIGINT NOT NULL,
    job TEXT NOT NULL,
    params TEXT NOT NULL,
    schedule TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (municipality_code, position)
);

-- The scheduled slots already enqueued, one row per plan entry and slot:
-- inserted in the transaction that submits the run, so a slot is enqueued
-- once however many workers look and however often they restart.
CREATE TABLE job_plan_slots (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    entry_key TEXT NOT NULL,
    slot TEXT NOT NULL,
    job TEXT NOT NULL,
    job_id BIGINT,
    enqueued_at TEXT NOT NULL,
    PRIMARY KEY (municipality_code, entry_key, slot)
);

-- Events an outbox consumer failed on. status: retrying (attempts so far,
-- retried from next_attempt_at on, the consumer waits: events stay in
-- order), parked (after the last attempt: the consumer moved on),
-- retried (handled later on a clerk's request), dismissed (a clerk
-- decided it needs no handling).
CREATE TABLE outbox_dead_letters (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    consumer TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    event_kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('retrying', 'parked', 'retried', 'dismissed')),
    attempts BIGINT NOT NULL,
    error TEXT NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    next_attempt_at TEXT,
    parked_at TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    PRIMARY KEY (municipality_code, consumer, event_id)
);
