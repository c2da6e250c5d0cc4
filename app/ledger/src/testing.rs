//! A fresh, empty database per test, on the backend named by `TEST_DATABASE_URL`.
//!
//! Unset or `sqlite:` gives a new SQLite file in the temp directory. `postgres://…` names a server:
//! each test gets its own database there, dropped when the test ends.

use std::path::PathBuf;

use sqlx::{Connection, Executor};

use crate::{DbSettings, Ledger};

pub struct TestDatabase {
    pub settings: DbSettings,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { server_url: String, name: String },
}

impl TestDatabase {
    pub async fn new() -> Self {
        sqlx::any::install_default_drivers();
        let server = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        if server.starts_with("postgres") {
            let name = format!("creditdesk_test_{unique}");
            let mut admin = sqlx::AnyConnection::connect(&server)
                .await
                .expect("TEST_DATABASE_URL must reach a PostgreSQL server");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create the test database");
            let url = with_database(&server, &name);
            Self {
                settings: DbSettings::new(url),
                cleanup: Cleanup::PostgresDatabase {
                    server_url: server,
                    name,
                },
            }
        } else {
            let path = std::env::temp_dir().join(format!("creditdesk-test-{unique}.db"));
            Self {
                settings: DbSettings::new(format!("sqlite://{}?mode=rwc", path.display())),
                cleanup: Cleanup::SqliteFile(path),
            }
        }
    }

    pub async fn ledger(&self) -> Ledger {
        Ledger::connect(&self.settings)
            .await
            .expect("connect the test ledger")
    }

    /// A raw connection, for tests that tamper with the data behind the ledger's back.
    pub async fn raw_connection(&self) -> sqlx::AnyConnection {
        sqlx::AnyConnection::connect(&self.settings.url)
            .await
            .expect("open a raw connection")
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

impl Drop for TestDatabase {
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
                // Drop runs inside the test's runtime; a thread with its own runtime may block.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime to drop the test database");
                    runtime.block_on(async move {
                        let mut admin = sqlx::AnyConnection::connect(&server_url).await?;
                        admin.execute(drop_statement.as_str()).await.map(drop)
                    })
                });
                if let Ok(Err(error)) = dropped.join() {
                    eprintln!("could not drop test database {name}: {error}");
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
