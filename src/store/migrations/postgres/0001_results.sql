-- The same schema as SQLite's (migrations/sqlite/0001_results.sql), in PostgreSQL's types.
-- The report stays TEXT (not JSONB, which reorders keys): what is stored is what was written.
CREATE TABLE scans (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    report_schema_version TEXT NOT NULL
);

CREATE TABLE results (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scan_id BIGINT NOT NULL REFERENCES scans(id),
    target TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    error TEXT,
    grade TEXT,
    verdict TEXT,
    report TEXT NOT NULL
);

CREATE INDEX results_by_target ON results (target, id);
CREATE INDEX results_by_scan ON results (scan_id);
