//! The SQLite store: one file, SQLite compiled in (`rusqlite`, `bundled`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{ResultSummary, ScanId, StoreError};
use crate::report::{now_rfc3339, TargetReport, SCHEMA_VERSION};

/// The migrations, in order: version, SQL.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_results.sql")),
    (2, include_str!("migrations/sqlite/0002_run_label.sql")),
];

/// An open SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    /// Behind a lock so that a store may be shared between threads (`serve`'s requests):
    /// a SQLite connection is not `Sync`.
    conn: Mutex<Connection>,
    path: String,
}

impl SqliteStore {
    /// Opens the store at `path`, creating it when missing (`scan --store`).
    pub fn create(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, true)
    }

    /// Opens an existing store (`impact --store`, `diff --store`).
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, create: bool) -> Result<SqliteStore, StoreError> {
        let shown = path.display().to_string();
        if !create && !path.exists() {
            return Err(StoreError::Missing { path: shown });
        }
        let flags = if create {
            OpenFlags::default()
        } else {
            OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE
        };
        let sql = |source| StoreError::Sql {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        // Several workers may write one file: wait for a lock rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sql)?;
        // WAL: readers never block the scan writing; NORMAL: a commit survives a crash of
        // the process (not of the machine), at a fraction of the fsyncs.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        let mut store = SqliteStore {
            conn: Mutex::new(conn),
            path: shown,
        };
        store.migrate()?;
        Ok(store)
    }

    /// The connection; a poisoned lock (a panic elsewhere mid-call) still holds a usable one.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// Applies the migrations this store lacks, each in its own transaction.
    fn migrate(&mut self) -> Result<(), StoreError> {
        self.conn()
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TEXT NOT NULL
                 )",
            )
            .map_err(|e| self.sql(e))?;
        let found: i64 = self
            .conn()
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if found > known {
            return Err(StoreError::Newer {
                path: self.path.clone(),
                found,
                known,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            let path = self.path.clone();
            let err = |source| StoreError::Sql {
                path: path.clone(),
                source,
            };
            let mut conn = self.conn();
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, now_rfc3339()],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// The schema migration the store is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sql(e))
    }

    /// Records the start of a scan run.
    pub fn begin_scan(&self, started_at: &str, label: Option<&str>) -> Result<ScanId, StoreError> {
        // One lock for both: another thread's insert must not come between.
        let conn = self.conn();
        conn.execute(
            "INSERT INTO scans (started_at, tool_version, report_schema_version, label)
             VALUES (?1, ?2, ?3, ?4)",
            params![started_at, env!("CARGO_PKG_VERSION"), SCHEMA_VERSION, label],
        )
        .map_err(|e| self.sql(e))?;
        Ok(ScanId(conn.last_insert_rowid()))
    }

    /// Writes one finished target (committed at once: a killed run keeps every target
    /// written before it).
    pub fn put(&self, scan: ScanId, report: &TargetReport) -> Result<(), StoreError> {
        let json = serde_json::to_string(report).map_err(|error| StoreError::BadRow {
            path: self.path.clone(),
            id: 0,
            target: report.facts.target.clone(),
            error,
        })?;
        self.conn()
            .execute(
                "INSERT INTO results (scan_id, target, finished_at, error, grade, verdict, report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    scan.0,
                    report.facts.target,
                    now_rfc3339(),
                    report.facts.error,
                    report.grade.as_ref().map(|g| g.letter.to_string()),
                    report.policy.as_ref().map(|p| p.verdict.to_string()),
                    json
                ],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Calls `each` with every target's latest report (`nth = 1`) or the one before it
    /// (`nth = 2`), by target; returns how many.
    pub fn for_each_nth_latest(
        &self,
        nth: i64,
        mut each: impl FnMut(TargetReport),
    ) -> Result<usize, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, target, report FROM (
                     SELECT id, target, report,
                            ROW_NUMBER() OVER (PARTITION BY target ORDER BY id DESC) AS nth
                     FROM results)
                 WHERE nth = ?1 ORDER BY target",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query(params![nth]).map_err(|e| self.sql(e))?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let (id, target, json): (i64, String, String) = (
                row.get(0).map_err(|e| self.sql(e))?,
                row.get(1).map_err(|e| self.sql(e))?,
                row.get(2).map_err(|e| self.sql(e))?,
            );
            let report = super::parse_row(&self.path, id, &target, &json)?;
            each(report);
            count += 1;
        }
        Ok(count)
    }

    /// Every report of one scan run, in the order they finished.
    pub fn scan_reports(&self, scan: ScanId) -> Result<Vec<TargetReport>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, target, report FROM results WHERE scan_id = ?1 ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let rows: Vec<(i64, String, String)> = stmt
            .query_map(params![scan.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e))?;
        rows.into_iter()
            .map(|(id, target, json)| super::parse_row(&self.path, id, &target, &json))
            .collect()
    }

    /// The targets with a result in any scan run named `label`.
    pub fn targets_in_run(&self, label: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT r.target FROM results r JOIN scans s ON r.scan_id = s.id
                 WHERE s.label = ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![label], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e));
        rows
    }

    /// The `limit` latest results, newest first, with their scan run's start.
    pub fn recent_results(&self, limit: i64) -> Result<Vec<ResultSummary>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT r.scan_id, s.started_at, r.target, r.finished_at, r.error, r.grade, r.verdict
                 FROM results r JOIN scans s ON r.scan_id = s.id
                 ORDER BY r.id DESC LIMIT ?1",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok(ResultSummary {
                    scan: ScanId(r.get(0)?),
                    started_at: r.get(1)?,
                    target: r.get(2)?,
                    finished_at: r.get(3)?,
                    error: r.get(4)?,
                    grade: r.get(5)?,
                    verdict: r.get(6)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.sql(e));
        rows
    }

    /// When the scan run `scan` started; `None` when there is no such run.
    pub fn scan_started_at(&self, scan: ScanId) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT started_at FROM scans WHERE id = ?1",
                params![scan.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// The latest result for `target` in a scan run before `before`, with its run.
    pub fn previous_result(
        &self,
        target: &str,
        before: ScanId,
    ) -> Result<Option<(ScanId, TargetReport)>, StoreError> {
        let row: Option<(i64, i64, String)> = self
            .conn()
            .query_row(
                "SELECT id, scan_id, report FROM results WHERE target = ?1 AND scan_id < ?2
                 ORDER BY id DESC LIMIT 1",
                params![target, before.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        row.map(|(id, scan, json)| {
            super::parse_row(&self.path, id, target, &json).map(|r| (ScanId(scan), r))
        })
        .transpose()
    }

    /// The latest scan run, if any.
    pub fn latest_scan(&self) -> Result<Option<ScanId>, StoreError> {
        self.conn()
            .query_row("SELECT MAX(id) FROM scans", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .optional()
            .map(|o| o.flatten().map(ScanId))
            .map_err(|e| self.sql(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(target: &str) -> TargetReport {
        let mut t = TargetReport::default();
        t.facts.target = target.into();
        t
    }

    #[test]
    fn migrations_apply_once_and_a_newer_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let s = SqliteStore::create(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 2);
        drop(s);
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 2);
        s.conn()
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (99, '')",
                [],
            )
            .unwrap();
        drop(s);
        let e = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(
            e.contains("written by a newer tlsaudit (schema migration 99"),
            "{e}"
        );
        let e = SqliteStore::open(&dir.path().join("none.db"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("none.db: no such file (a store is created by `tlsaudit scan --store "),
            "{e}"
        );
    }

    #[test]
    fn latest_and_previous_per_target() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::create(&dir.path().join("s.db")).unwrap();
        let one = s
            .begin_scan("2026-01-01T00:00:00Z", Some("night-1"))
            .unwrap();
        let mut a1 = report("a:443");
        a1.facts.duration_ms = 1;
        s.put(one, &a1).unwrap();
        s.put(one, &report("b:443")).unwrap();
        let two = s.begin_scan("2026-01-02T00:00:00Z", None).unwrap();
        let mut a2 = report("a:443");
        a2.facts.duration_ms = 2;
        s.put(two, &a2).unwrap();
        let mut latest = Vec::new();
        s.for_each_nth_latest(1, |t| {
            latest.push((t.facts.target.clone(), t.facts.duration_ms))
        })
        .unwrap();
        assert_eq!(latest, [("a:443".to_string(), 2), ("b:443".to_string(), 0)]);
        let mut previous = Vec::new();
        s.for_each_nth_latest(2, |t| previous.push(t.facts.duration_ms))
            .unwrap();
        assert_eq!(previous, [1]);
        assert_eq!(s.latest_scan().unwrap(), Some(two));
        assert_eq!(s.scan_reports(two).unwrap(), [a2]);
        let mut night = s.targets_in_run("night-1").unwrap();
        night.sort();
        assert_eq!(night, ["a:443", "b:443"]);
        assert!(s.targets_in_run("night-2").unwrap().is_empty());
        // What serve's pages read: the recent list, a run's start, a target's previous result.
        let recent: Vec<(ScanId, String)> = s
            .recent_results(2)
            .unwrap()
            .into_iter()
            .map(|r| (r.scan, r.target))
            .collect();
        assert_eq!(recent, [(two, "a:443".into()), (one, "b:443".into())]);
        assert_eq!(
            s.scan_started_at(two).unwrap().as_deref(),
            Some("2026-01-02T00:00:00Z")
        );
        assert_eq!(s.scan_started_at(ScanId(99)).unwrap(), None);
        assert_eq!(s.previous_result("a:443", two).unwrap(), Some((one, a1)));
        assert_eq!(s.previous_result("a:443", one).unwrap(), None);
        assert_eq!(
            s.previous_result("b:443", two).unwrap().map(|p| p.0),
            Some(one)
        );
    }

    #[test]
    fn a_corrupt_row_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::create(&dir.path().join("s.db")).unwrap();
        let scan = s.begin_scan("", None).unwrap();
        s.put(scan, &report("a:443")).unwrap();
        s.conn()
            .execute("UPDATE results SET report = '{' WHERE target = 'a:443'", [])
            .unwrap();
        let e = s.for_each_nth_latest(1, |_| {}).unwrap_err().to_string();
        assert!(e.contains("result 1 (a:443) does not parse"), "{e}");
    }
}
