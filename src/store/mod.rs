//! The results store: every finished target of `tlsaudit scan --store` written as it goes.
//! A file path is a SQLite store ([`sqlite`]: embedded, no server, SQLite compiled into the
//! binary); a `postgres://` URL a PostgreSQL one ([`postgres`]: a team's or many workers'
//! database). `impact` and `diff` read either back: each target's latest report, or its
//! previous one.
//!
//! One schema (`migrations/<backend>/*.sql`, shipped in the binary), applied in order on open,
//! each recorded in `schema_migrations`; a store written by a newer tlsaudit (a migration this
//! build does not know) is refused rather than misread. A target's report is stored whole, as
//! JSON Lines would hold it, so a round trip is lossless.

pub mod postgres;
pub mod sqlite;

use crate::report::TargetReport;
use postgres::PostgresStore;
use sqlite::SqliteStore;

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Sql {
        path: String,
        source: rusqlite::Error,
    },
    #[error("store {path}: {source}")]
    Postgres {
        path: String,
        source: tokio_postgres::Error,
    },
    #[error("store {path}: no such file (a store is created by `tlsaudit scan --store {path}`)")]
    Missing { path: String },
    #[error(
        "store {path}: written by a newer tlsaudit (schema migration {found}; this build knows up to {known})"
    )]
    Newer {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("store {path}: result {id} ({target}) does not parse: {error}")]
    BadRow {
        path: String,
        id: i64,
        target: String,
        error: serde_json::Error,
    },
}

/// A scan run in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanId(pub i64);

/// One stored result, as a list of recent scans shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultSummary {
    pub scan: ScanId,
    /// RFC 3339: when its scan run started, and when the target finished.
    pub started_at: String,
    pub target: String,
    pub finished_at: String,
    /// Why the target could not be scanned.
    pub error: Option<String>,
    /// The letter grade and the policy verdict, when there are.
    pub grade: Option<String>,
    pub verdict: Option<String>,
}

/// An open store, of either kind.
#[derive(Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// True when `spec` names a PostgreSQL database rather than a file.
pub fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// `spec` as messages show it: a URL without its password.
pub fn display(spec: &str) -> String {
    if is_postgres(spec) {
        postgres::without_password(spec)
    } else {
        spec.to_string()
    }
}

impl Store {
    /// Opens the store `spec` names (a file, or a `postgres://` URL), creating the file or
    /// the schema when missing (`scan --store`).
    pub async fn create(spec: &str) -> Result<Store, StoreError> {
        if is_postgres(spec) {
            return Ok(Store::Postgres(PostgresStore::connect(spec).await?));
        }
        Ok(Store::Sqlite(SqliteStore::create(std::path::Path::new(
            spec,
        ))?))
    }

    /// Opens an existing store (`impact --store`, `diff --store`); a missing file is an error.
    pub async fn open(spec: &str) -> Result<Store, StoreError> {
        if is_postgres(spec) {
            return Ok(Store::Postgres(PostgresStore::connect(spec).await?));
        }
        Ok(Store::Sqlite(SqliteStore::open(std::path::Path::new(
            spec,
        ))?))
    }

    /// The schema migration the store is at.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.schema_version(),
            Store::Postgres(p) => p.schema_version().await,
        }
    }

    /// Records the start of a scan run, named `label` when given (`scan --run`).
    pub async fn begin_scan(
        &self,
        started_at: &str,
        label: Option<&str>,
    ) -> Result<ScanId, StoreError> {
        match self {
            Store::Sqlite(s) => s.begin_scan(started_at, label),
            Store::Postgres(p) => p.begin_scan(started_at, label).await,
        }
    }

    /// The targets with a result in any scan run named `label` (`scan --resume --run`).
    pub async fn targets_in_run(&self, label: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(s) => s.targets_in_run(label),
            Store::Postgres(p) => p.targets_in_run(label).await,
        }
    }

    /// Writes one finished target, committed at once: a killed run keeps every target
    /// written before it.
    pub async fn put(&self, scan: ScanId, report: &TargetReport) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.put(scan, report),
            Store::Postgres(p) => {
                let json = serde_json::to_string(report).map_err(|error| StoreError::BadRow {
                    path: p.shown().into(),
                    id: 0,
                    target: report.facts.target.clone(),
                    error,
                })?;
                p.put(scan, report, &json).await
            }
        }
    }

    /// Calls `each` with every target's latest report (`nth = 1`) or the one before it
    /// (`nth = 2`), by target; returns how many.
    pub async fn for_each_nth_latest(
        &self,
        nth: i64,
        each: impl FnMut(TargetReport),
    ) -> Result<usize, StoreError> {
        match self {
            Store::Sqlite(s) => s.for_each_nth_latest(nth, each),
            Store::Postgres(p) => p.for_each_nth_latest(nth, each).await,
        }
    }

    /// Every report of one scan run, in the order they finished.
    pub async fn scan_reports(&self, scan: ScanId) -> Result<Vec<TargetReport>, StoreError> {
        match self {
            Store::Sqlite(s) => s.scan_reports(scan),
            Store::Postgres(p) => parse_rows(p.shown(), p.scan_rows(scan).await?).collect(),
        }
    }

    /// The `limit` latest results of any run, newest first (`serve`'s recent scans).
    pub async fn recent_results(&self, limit: i64) -> Result<Vec<ResultSummary>, StoreError> {
        match self {
            Store::Sqlite(s) => s.recent_results(limit),
            Store::Postgres(p) => p.recent_results(limit).await,
        }
    }

    /// When the scan run `scan` started; `None` when the store has no such run.
    pub async fn scan_started_at(&self, scan: ScanId) -> Result<Option<String>, StoreError> {
        match self {
            Store::Sqlite(s) => s.scan_started_at(scan),
            Store::Postgres(p) => p.scan_started_at(scan).await,
        }
    }

    /// The latest result for `target` in a scan run before `before`, and that run: what
    /// `serve` compares a result with.
    pub async fn previous_result(
        &self,
        target: &str,
        before: ScanId,
    ) -> Result<Option<(ScanId, TargetReport)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.previous_result(target, before),
            Store::Postgres(p) => match p.previous_row(target, before).await? {
                None => Ok(None),
                Some((id, scan, json)) => {
                    let row = vec![(id, target.to_string(), json)];
                    let report = parse_rows(p.shown(), row).next().transpose()?;
                    Ok(report.map(|r| (ScanId(scan), r)))
                }
            },
        }
    }

    /// The latest scan run, if any.
    pub async fn latest_scan(&self) -> Result<Option<ScanId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.latest_scan(),
            Store::Postgres(p) => p.latest_scan().await,
        }
    }
}

fn parse_rows(
    path: &str,
    rows: Vec<(i64, String, String)>,
) -> impl Iterator<Item = Result<TargetReport, StoreError>> + '_ {
    rows.into_iter()
        .map(move |(id, target, json)| parse_row(path, id, &target, &json))
}

/// A stored report read back; one that does not parse names its store, row and target.
fn parse_row(path: &str, id: i64, target: &str, json: &str) -> Result<TargetReport, StoreError> {
    serde_json::from_str(json).map_err(|error| StoreError::BadRow {
        path: path.to_string(),
        id,
        target: target.to_string(),
        error,
    })
}
