//! The PostgreSQL store: one database for a team or many workers (`tokio-postgres`, no TLS to
//! the database: a cluster-internal or loopback address). The schema is SQLite's in
//! PostgreSQL's types; migrations run under an advisory lock, so N workers starting at once
//! apply each exactly once.

use futures::StreamExt;
use tokio_postgres::{Client, NoTls};

use super::{ResultSummary, ScanId, StoreError};
use crate::report::{now_rfc3339, TargetReport, SCHEMA_VERSION};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/postgres/0001_results.sql")),
    (2, include_str!("migrations/postgres/0002_run_label.sql")),
];

/// Any number that is ours alone: the advisory lock migrations take.
const MIGRATION_LOCK: i64 = 0x746c_7361_7564_6974; // "tlsaudit"

/// An open PostgreSQL store.
#[derive(Debug)]
pub struct PostgresStore {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
}

/// `url` without a password, for messages.
pub fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let shown = without_password(url);
        let sql = |source: tokio_postgres::Error| StoreError::Postgres {
            path: shown.clone(),
            source,
        };
        let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(sql)?;
        // The connection's I/O runs beside us; it ends when the client is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut store = PostgresStore { client, shown };
        store.migrate().await?;
        Ok(store)
    }

    fn sql(&self, source: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres {
            path: self.shown.clone(),
            source,
        }
    }

    async fn migrate(&mut self) -> Result<(), StoreError> {
        let shown = self.shown.clone();
        let sql = |source| StoreError::Postgres {
            path: shown.clone(),
            source,
        };
        let tx = self.client.transaction().await.map_err(sql)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(sql)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY,
                 applied_at TEXT NOT NULL
             )",
        )
        .await
        .map_err(sql)?;
        let found: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .await
            .map_err(sql)?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if found > known {
            return Err(StoreError::Newer {
                path: shown.clone(),
                found,
                known,
            });
        }
        for (version, text) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            tx.batch_execute(text).await.map_err(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &now_rfc3339()],
            )
            .await
            .map_err(sql)?;
        }
        tx.commit().await.map_err(sql)
    }

    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .client
            .query_one("SELECT MAX(version) FROM schema_migrations", &[])
            .await
            .map_err(|e| self.sql(e))?
            .get(0))
    }

    pub async fn begin_scan(
        &self,
        started_at: &str,
        label: Option<&str>,
    ) -> Result<ScanId, StoreError> {
        let row = self
            .client
            .query_one(
                "INSERT INTO scans (started_at, tool_version, report_schema_version, label)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    &started_at,
                    &env!("CARGO_PKG_VERSION"),
                    &SCHEMA_VERSION,
                    &label,
                ],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(ScanId(row.get(0)))
    }

    pub async fn put(
        &self,
        scan: ScanId,
        report: &TargetReport,
        json: &str,
    ) -> Result<(), StoreError> {
        self.client
            .execute(
                "INSERT INTO results (scan_id, target, finished_at, error, grade, verdict, report)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &scan.0,
                    &report.facts.target,
                    &now_rfc3339(),
                    &report.facts.error,
                    &report.grade.as_ref().map(|g| g.letter.to_string()),
                    &report.policy.as_ref().map(|p| p.verdict.to_string()),
                    &json,
                ],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Calls `each` with every target's `nth` latest result, by target, as the rows arrive:
    /// `query_raw`'s row stream, so a fleet of any size is never held in memory whole.
    pub async fn for_each_nth_latest(
        &self,
        nth: i64,
        mut each: impl FnMut(TargetReport),
    ) -> Result<usize, StoreError> {
        let rows = self
            .client
            .query_raw(
                "SELECT id, target, report FROM (
                     SELECT id, target, report,
                            ROW_NUMBER() OVER (PARTITION BY target ORDER BY id DESC) AS nth
                     FROM results) AS ranked
                 WHERE nth = $1 ORDER BY target",
                [&nth],
            )
            .await
            .map_err(|e| self.sql(e))?;
        let mut rows = std::pin::pin!(rows);
        let mut count = 0;
        while let Some(row) = rows.next().await {
            let row = row.map_err(|e| self.sql(e))?;
            let (id, target, json): (i64, String, String) = (
                row.try_get(0).map_err(|e| self.sql(e))?,
                row.try_get(1).map_err(|e| self.sql(e))?,
                row.try_get(2).map_err(|e| self.sql(e))?,
            );
            let report = super::parse_row(&self.shown, id, &target, &json)?;
            each(report);
            count += 1;
        }
        Ok(count)
    }

    pub async fn scan_rows(&self, scan: ScanId) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT id, target, report FROM results WHERE scan_id = $1 ORDER BY id",
                &[&scan.0],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    pub async fn targets_in_run(&self, label: &str) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT DISTINCT r.target FROM results r JOIN scans s ON r.scan_id = s.id
                 WHERE s.label = $1",
                &[&label],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The `limit` latest results, newest first, with their scan run's start.
    pub async fn recent_results(&self, limit: i64) -> Result<Vec<ResultSummary>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT r.scan_id, s.started_at, r.target, r.finished_at, r.error, r.grade, r.verdict
                 FROM results r JOIN scans s ON r.scan_id = s.id
                 ORDER BY r.id DESC LIMIT $1",
                &[&limit],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(rows
            .iter()
            .map(|r| ResultSummary {
                scan: ScanId(r.get(0)),
                started_at: r.get(1),
                target: r.get(2),
                finished_at: r.get(3),
                error: r.get(4),
                grade: r.get(5),
                verdict: r.get(6),
            })
            .collect())
    }

    pub async fn scan_started_at(&self, scan: ScanId) -> Result<Option<String>, StoreError> {
        let row = self
            .client
            .query_opt("SELECT started_at FROM scans WHERE id = $1", &[&scan.0])
            .await
            .map_err(|e| self.sql(e))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// (id, scan, report) of the latest result for `target` in a run before `before`.
    pub async fn previous_row(
        &self,
        target: &str,
        before: ScanId,
    ) -> Result<Option<(i64, i64, String)>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT id, scan_id, report FROM results WHERE target = $1 AND scan_id < $2
                 ORDER BY id DESC LIMIT 1",
                &[&target, &before.0],
            )
            .await
            .map_err(|e| self.sql(e))?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    pub async fn latest_scan(&self) -> Result<Option<ScanId>, StoreError> {
        let row = self
            .client
            .query_one("SELECT MAX(id) FROM scans", &[])
            .await
            .map_err(|e| self.sql(e))?;
        Ok(row.get::<_, Option<i64>>(0).map(ScanId))
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn messages_never_show_the_password() {
        assert_eq!(
            without_password("postgres://scan:s3cret@db:5432/tls"),
            "postgres://scan@db:5432/tls"
        );
        assert_eq!(without_password("postgres://db/tls"), "postgres://db/tls");
    }
}
