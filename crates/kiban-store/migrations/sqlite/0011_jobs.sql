-- Jobs and batches (バッチ処理, contract jobs-v1). A run is one row of
-- `jobs`; its plan is the rows of `job_chunks`, fixed when the run starts
-- so that a resumed run keeps the same split. Each chunk commits, in one
-- transaction, its state and count (the run's progress), its parts of the
-- outputs (`job_output_parts`) and the subjects it could not process
-- (`job_errors`). When every chunk is done the outputs are assembled into
-- `job_outputs` with their SHA-256 and size.
CREATE TABLE jobs (
    municipality_code TEXT NOT NULL REFERENCES municipalities (municipality_code),
    job_id INTEGER NOT NULL,
    job TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress_total INTEGER NOT NULL DEFAULT 0,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT,
    PRIMARY KEY (municipality_code, job_id)
) STRICT;
CREATE INDEX jobs_status ON jobs (municipality_code, status, job_id);

CREATE TABLE job_chunks (
    municipality_code TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    chunk_no INTEGER NOT NULL,
    chunk_key TEXT NOT NULL,
    subjects INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT,
    worker TEXT,
    finished_at TEXT,
    PRIMARY KEY (municipality_code, job_id, chunk_no),
    FOREIGN KEY (municipality_code, job_id) REFERENCES jobs (municipality_code, job_id)
) STRICT;
CREATE INDEX job_chunks_state ON job_chunks (municipality_code, job_id, state, chunk_no);

CREATE TABLE job_output_parts (
    municipality_code TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    chunk_no INTEGER NOT NULL,
    name TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (municipality_code, job_id, chunk_no, name),
    FOREIGN KEY (municipality_code, job_id, chunk_no) REFERENCES job_chunks (municipality_code, job_id, chunk_no)
) STRICT;

CREATE TABLE job_outputs (
    municipality_code TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    rows INTEGER,
    pages INTEGER,
    content BLOB NOT NULL,
    PRIMARY KEY (municipality_code, job_id, name),
    FOREIGN KEY (municipality_code, job_id) REFERENCES jobs (municipality_code, job_id)
) STRICT;

CREATE TABLE job_errors (
    municipality_code TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    chunk_no INTEGER NOT NULL,
    error_no INTEGER NOT NULL,
    subject TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (municipality_code, job_id, chunk_no, error_no),
    FOREIGN KEY (municipality_code, job_id, chunk_no) REFERENCES job_chunks (municipality_code, job_id, chunk_no)
) STRICT;
