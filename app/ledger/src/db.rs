//! The database handle: one pool over SQLite or PostgreSQL, chosen by the URL's scheme.
//!
//! Every SQL statement in this crate runs unchanged on both backends (`$1` placeholders, `RETURNING`,
//! `BIGINT` everywhere). What differs is kept here: how a write transaction starts, which migrations
//! apply, and per-connection settings.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::error::ErrorKind;
use sqlx::{AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How to reach the database and how hard to try.
#[derive(Debug, Clone)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
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
}

/// A write transaction; on SQLite it also holds this process's writer turn until it ends.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
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
                    if backend == Backend::Postgres {
                        conn.execute(
                            format!("SET statement_timeout = {statement_timeout}").as_str(),
                        )
                        .await?;
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
        let writers = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let db = Self {
            pool,
            backend,
            writers,
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
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
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
        self.pool.close().await;
    }
}

impl Backend {
    /// `column` with A-Z folded to a-z and every other character left as stored: SQLite's `lower()`
    /// does exactly that, PostgreSQL's does it under the "C" collation.
    pub(crate) fn ascii_lower(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("lower({column})"),
            Self::Postgres => format!("lower({column} COLLATE \"C\")"),
        }
    }
}

fn backend_of(url: &str) -> Result<Backend, ConnectError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(ConnectError::UnsupportedUrl(url.to_owned()))
    }
}

/// True when the error is a unique-index violation, on either backend.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.kind() == ErrorKind::UniqueViolation)
}
