//! The database handle: one pool over SQLite or PostgreSQL, chosen by the URL's scheme.
//!
//! Every SQL statement in this crate runs unchanged on both backends (`$1` placeholders, `RETURNING`,
//! `BIGINT` everywhere). What differs is kept here: how a write transaction starts, which migrations
//! apply, and per-connection settings.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::error::ErrorKind;
use sqlx::{AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How much of a SQLite file each connection maps into memory: all SQLite allows by default
/// (`SQLITE_MAX_MMAP_SIZE`, just under 2 GiB). Address space, not memory: the pages are the
/// operating system's file cache, shared by every connection.
const SQLITE_MMAP_BYTES: i64 = 0x7fff_0000;

/// How to reach the database and how hard to try. Its `Debug` hides the URL's password.
#[derive(Clone)]
pub struct DbSettings {
    /// `sqlite://creditdesk.db?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL only: statements running longer than this are cancelled.
    pub statement_timeout: Duration,
    /// Attempts to reach the database at start-up before giving up (a server may still be booting).
    pub connect_attempts: u32,
}

impl DbSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            statement_timeout: Duration::from_secs(5),
            connect_attempts: 5,
        }
    }
}

impl fmt::Debug for DbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbSettings")
            .field("url", &redacted_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("statement_timeout", &self.statement_timeout)
            .field("connect_attempts", &self.connect_attempts)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Parameter `n` (from 1) of a statement whose parameters each appear once, in the order they
    /// are bound: `$n` on PostgreSQL, an anonymous `?` on SQLite. SQLite finds a named or numbered
    /// parameter by a linear search of those before it, once for each appearance when it parses
    /// the statement and again for each value bound: a batch's statement of a thousand parameters
    /// spent more time in those searches than in running.
    pub(crate) fn parameter(self, n: usize) -> String {
        match self {
            Self::Sqlite => "?".to_owned(),
            Self::Postgres => format!("${n}"),
        }
    }

    /// Parameters `from` to `from + count - 1`, as [`Backend::parameter`] writes them, separated by
    /// commas.
    pub(crate) fn parameters(self, from: usize, count: usize) -> String {
        (from..from + count)
            .map(|n| self.parameter(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Holds the URL with its password hidden.
    #[error("DATABASE_URL must start with sqlite: or postgres:, not {0:?}")]
    UnsupportedUrl(String),
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not configure the database: {0}")]
    Configure(#[source] sqlx::Error),
}

/// A pool plus the knowledge of which backend it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Queueing writers here, in order, beats having them poll the
    /// file lock with SQLite's busy timeout (whose back-off sleeps put 100 ms and more on the
    /// slowest transfers). Other processes on the same file still wait on the busy timeout.
    writers: Option<Arc<Mutex<()>>>,
    /// Where write transactions run: on SQLite one connection of their own. A SQLite connection
    /// drops its whole page cache when it finds that another has written since its last
    /// transaction, so writers taking turns on the pool's connections each read again the hundreds
    /// of pages a batch touches. On PostgreSQL, the pool itself.
    writer: AnyPool,
}

/// A write transaction; on SQLite it also holds this process's writer turn until it ends.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<OwnedMutexGuard<()>>,
    backend: Backend,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Db {
    /// Connects (retrying with back-off), then applies the embedded migrations.
    pub async fn connect(settings: &DbSettings) -> Result<Self, ConnectError> {
        install_default_drivers();
        let backend = backend_of(&settings.url)?;
        let options: AnyConnectOptions = settings.url.parse().map_err(ConnectError::Connect)?;
        let statement_timeout = settings.statement_timeout.as_millis();
        let pool_options = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Postgres => {
                            conn.execute(
                                format!("SET statement_timeout = {statement_timeout}").as_str(),
                            )
                            .await?;
                        }
                        // An answered movement must survive a power cut: every commit waits for
                        // its WAL frames to reach the disk. It is SQLite's compiled-in default
                        // too, stated here so that no build or URL can weaken it unnoticed.
                        Backend::Sqlite => {
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            // Each statement of a batch keeps the pages it changes, to undo that
                            // statement alone; past 64 KB SQLite spills them to a temp file that
                            // every batch writes page by page and deletes (some 40 % of the
                            // writer's page writes). In memory it holds one statement's pages, and
                            // no crash needs it: the WAL alone says what committed.
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            // Reads take pages straight from the file's mapping instead of a
                            // system call and a copy into a 2 MB cache per connection; a history
                            // or a download walks pages all over a large file. A failed read then
                            // stops the process (SIGBUS) instead of failing a statement, which
                            // loses nothing: the WAL alone says what committed.
                            conn.execute(
                                format!("PRAGMA mmap_size = {SQLITE_MMAP_BYTES}").as_str(),
                            )
                            .await?;
                        }
                    }
                    Ok(())
                })
            });

        let mut attempt = 1;
        let pool = loop {
            match pool_options.clone().connect_with(options.clone()).await {
                Ok(pool) => break pool,
                Err(error) if attempt < settings.connect_attempts => {
                    tracing::warn!(%error, attempt, "database not reachable yet; retrying");
                    tokio::time::sleep(Duration::from_millis(250 << attempt.min(5))).await;
                    attempt += 1;
                }
                Err(error) => return Err(ConnectError::Connect(error)),
            }
        };

        if backend == Backend::Sqlite {
            // WAL lets readers proceed while one writer commits; the mode is stored in the file.
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(ConnectError::Configure)?;
        }
        let (writers, writer) = match backend {
            Backend::Sqlite => {
                let writer = pool_options
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(ConnectError::Connect)?;
                (Some(Arc::new(Mutex::new(()))), writer)
            }
            Backend::Postgres => (None, pool.clone()),
        };
        let db = Self {
            pool,
            backend,
            writers,
            writer,
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await,
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await
            }
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a transaction that reads before it
    /// writes cannot fail on upgrade; this process's writers take turns in `writers`. PostgreSQL: READ
    /// COMMITTED, with conditional updates and a fixed row-lock order doing the work.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = match &self.writers {
            Some(writers) => Some(Arc::clone(writers).lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _turn: turn,
            backend: self.backend,
        })
    }

    /// Starts a read-only transaction whose every statement sees one snapshot of the database.
    /// PostgreSQL's default (READ COMMITTED) takes a new snapshot per statement, so it is asked for
    /// REPEATABLE READ; a SQLite read transaction keeps the snapshot of its first read.
    pub async fn begin_snapshot(&self) -> Result<Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
    }

    /// Makes write transactions that name the same key take turns until they end: for rules that
    /// count rows before inserting one, where there is no row yet to lock. SQLite already lets one
    /// writer in at a time. PostgreSQL takes a transaction-scoped advisory lock per key, in
    /// ascending order, so that no two transactions can each wait for the other; all of them in one
    /// statement, one round trip however many keys a batch names.
    pub async fn lock_keys(&self, tx: &mut WriteTx, keys: &[String]) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite || keys.is_empty() {
            return Ok(());
        }
        let mut locks: Vec<i64> = keys.iter().map(|key| advisory_lock_id(key)).collect();
        locks.sort_unstable();
        locks.dedup();
        let values: Vec<String> = (1..=locks.len())
            .map(|n| format!("(${n}::bigint)"))
            .collect();
        // The lock is taken in the inner query's projection, row by row in the sorted order.
        let statement = format!(
            "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(k) FROM \
             (SELECT k FROM (VALUES {}) AS keys (k) ORDER BY k) AS sorted) AS locked",
            values.join(", ")
        );
        let mut query = sqlx::query(&statement);
        for lock in locks {
            query = query.bind(lock);
        }
        query.execute(&mut **tx).await.map(drop)
    }

    /// Starts a transaction that only reads, so that every statement in it sees one snapshot (a page
    /// and its totals agree). SQLite: a deferred transaction, whose WAL snapshot is taken at its
    /// first read. PostgreSQL: REPEATABLE READ, one snapshot for the whole transaction.
    pub async fn begin_read(&self) -> Result<Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
            }
        }
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// PostgreSQL's advisory locks are named by a number: the first 8 bytes of the key's SHA-256.
fn advisory_lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl Backend {
    /// `column` with A-Z folded to a-z and every other character left as stored: SQLite's `lower()`
    /// does exactly that, PostgreSQL's does it under the "C" collation.
    fn ascii_lower(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("lower({column})"),
            Self::Postgres => format!("lower({column} COLLATE \"C\")"),
        }
    }

    /// "`column` holds `text` somewhere, A-Z matched regardless of case", `text` being a placeholder
    /// bound to a [`crate::SearchText`]. A position test rather than `LIKE '%text%'`: PostgreSQL
    /// estimates a literal pattern from its characters (a few dozen rows of a million, when "invoice"
    /// matched 71,597), so that it read and sorted every transfer of the account (0.3 s) instead of
    /// walking the time index until a page is full (0.5 ms); a position test gets its default
    /// estimate, a third, whatever the text.
    pub(crate) fn contains(self, column: &str, text: &str) -> String {
        let column = self.ascii_lower(column);
        match self {
            Self::Sqlite => format!("instr({column}, {text}) > 0"),
            Self::Postgres => format!("strpos({column}, {text}) > 0"),
        }
    }
}

fn backend_of(url: &str) -> Result<Backend, ConnectError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(ConnectError::UnsupportedUrl(redacted_url(url)))
    }
}

/// `url` with its password (`user:password@` or a `password=` parameter) replaced by `***`: the
/// only form in which a database URL may reach a log or a message.
pub(crate) fn redacted_url(url: &str) -> String {
    let mut redacted = url.to_owned();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| start + i);
        if let Some(user_info) = url[start..end].rfind('@').map(|at| &url[start..start + at])
            && let Some(colon) = user_info.find(':')
        {
            redacted.replace_range(start + colon + 1..start + user_info.len(), "***");
        }
    }
    redact_parameter(&redacted, "password=")
}

/// Replaces the value of every `key…` parameter (any case) with `***`.
fn redact_parameter(text: &str, key: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut redacted = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in lower.match_indices(key) {
        let value = at + key.len();
        let end = text[value..]
            .find(['&', '#', ' '])
            .map_or(text.len(), |i| value + i);
        redacted.push_str(&text[copied..value]);
        redacted.push_str("***");
        copied = end;
    }
    redacted.push_str(&text[copied..]);
    redacted
}

/// True for a failure that the same transaction run again may well not meet: PostgreSQL's
/// deadlock (40P01) and serialization failure (40001), between transactions of several servers.
pub(crate) fn is_transient(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40P01" | "40001")))
}

/// True when the error is a unique-index violation, on either backend.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.kind() == ErrorKind::UniqueViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_database_url_is_reported_without_its_password() {
        let error = Db::connect(&DbSettings::new("mysql://app:s3cret@db.internal/credits"))
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(
            message.contains("mysql://app:***@db.internal/credits"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn sqlite_flushes_every_commit_keeps_statement_journals_in_memory_and_maps_the_file() {
        let path =
            std::env::temp_dir().join(format!("creditdesk-durability-{}.db", uuid::Uuid::new_v4()));
        let db = Db::connect(&DbSettings::new(format!(
            "sqlite://{}?mode=rwc",
            path.display()
        )))
        .await
        .unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        // The writer's own connection is the one whose batches spill.
        let mut writer = db.writer.acquire().await.unwrap();
        let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store")
            .fetch_one(&mut *writer)
            .await
            .unwrap();
        let mmap: i64 = sqlx::query_scalar("PRAGMA mmap_size")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        drop((conn, writer));
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        // synchronous 2 is FULL; temp_store 2 is MEMORY.
        assert_eq!(
            (journal.as_str(), synchronous, temp_store, mmap),
            ("wal", 2, 2, SQLITE_MMAP_BYTES)
        );
    }

    #[test]
    fn a_url_loses_its_password_and_keeps_the_rest() {
        for (url, redacted) in [
            (
                "postgres://app:s3cret@db:5432/credits",
                "postgres://app:***@db:5432/credits",
            ),
            (
                "postgres://app:p%40ss@word@db/credits?sslmode=require",
                "postgres://app:***@db/credits?sslmode=require",
            ),
            (
                "postgres://app@db/credits?sslmode=require&Password=s3cret&x=1",
                "postgres://app@db/credits?sslmode=require&Password=***&x=1",
            ),
            ("postgres://app@db/credits", "postgres://app@db/credits"),
            (
                "sqlite://creditdesk.db?mode=rwc",
                "sqlite://creditdesk.db?mode=rwc",
            ),
            (
                "host=db password=s3cret user=app",
                "host=db password=*** user=app",
            ),
        ] {
            assert_eq!(redacted_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn settings_print_their_url_without_its_password() {
        let settings = DbSettings::new("postgres://app:s3cret@db.internal/credits");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("postgres://app:***@db.internal/credits"),
            "{printed}"
        );
    }
}
