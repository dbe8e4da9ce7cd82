-- One row per run of `tlsaudit scan --store`, one per finished target of it. A target's report
-- is kept whole, as `tlsaudit scan -f jsonl` writes it (the report's own schema_version says
-- how to read it); the columns beside it are what queries select on.
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    -- RFC 3339, when the run started.
    started_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    report_schema_version TEXT NOT NULL
);

CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    scan_id INTEGER NOT NULL REFERENCES scans(id),
    -- The target as the user gave it: what `impact` and `diff` match endpoints by.
    target TEXT NOT NULL,
    -- RFC 3339, when the target finished.
    finished_at TEXT NOT NULL,
    -- Why the target could not be scanned, or NULL.
    error TEXT,
    -- The letter grade and the policy verdict, or NULL.
    grade TEXT,
    verdict TEXT,
    -- The target's report, JSON.
    report TEXT NOT NULL
);

CREATE INDEX results_by_target ON results (target, id);
CREATE INDEX results_by_scan ON results (scan_id);
