//! A database made for one run and removed when dropped: each test's, and each benchmark's or
//! crash test's fresh database. On SQLite a new file in the temp directory; on PostgreSQL a new
//! database on the server the URL names.

use std::path::PathBuf;

use sqlx::{Connection, Executor};

use crate::Ledger;
use crate::db::{ConnectError, DbSettings};

pub struct ScratchDatabase {
    pub settings: DbSettings,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { server_url: String, name: String },
}

impl ScratchDatabase {
    /// A new, empty database named `<prefix>_<random>`: on the PostgreSQL server of `server_url`
    /// when it is a `postgres:` URL, otherwise a SQLite file in the temp directory.
    pub async fn create(server_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        if server_url.starts_with("postgres") {
            let name = format!("{prefix}_{unique}");
            let mut admin = sqlx::AnyConnection::connect(server_url).await?;
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await?;
            Ok(Self {
                settings: DbSettings::new(with_database(server_url, &name)),
                cleanup: Cleanup::PostgresDatabase {
                    server_url: server_url.to_owned(),
                    name,
                },
            })
        } else {
            let file = format!("{prefix}_{unique}.db").replace('_', "-");
            let path = std::env::temp_dir().join(file);
            Ok(Self {
                settings: DbSettings::new(format!("sqlite://{}?mode=rwc", path.display())),
                cleanup: Cleanup::SqliteFile(path),
            })
        }
    }

    /// The ledger over this database (migrated on first connect).
    pub async fn connect(&self) -> Result<Ledger, ConnectError> {
        Ledger::connect(&self.settings).await
    }

    /// The SQLite file, if this database is one (its `-wal` beside it).
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => Some(path),
            Cleanup::PostgresDatabase { .. } => None,
        }
    }
}

/// Replaces the database name at the end of a PostgreSQL URL, keeping any query string.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(base, query)| (base, Some(query)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{name}?{query}"),
        None => format!("{host_part}/{name}"),
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { server_url, name } => {
                let drop_statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let server_url = server_url.clone();
                // Drop may run inside a runtime; a thread with its own runtime may block.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime to drop the scratch database");
                    runtime.block_on(async move {
                        let mut admin = sqlx::AnyConnection::connect(&server_url).await?;
                        admin.execute(drop_statement.as_str()).await.map(drop)
                    })
                });
                if let Ok(Err(error)) = dropped.join() {
                    eprintln!("could not drop database {name}: {error}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t1"),
            "postgres://h/t1?sslmode=disable"
        );
    }
}
