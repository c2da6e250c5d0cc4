//! Typed configuration: command-line flags, each with an environment variable and a default.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ledger::{DbSettings, SessionPolicy};
use leptos::config::LeptosOptions;

#[derive(Debug, Parser)]
#[command(
    name = "server",
    about = "Creditdesk: prepaid credits for resellers and their customers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub site: SiteConfig,
    #[command(flatten)]
    pub session: SessionConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Load the worked example into an empty database.
    Demo {
        /// Leave a database that already has accounts as it is, instead of refusing it.
        #[arg(long)]
        if_empty: bool,
    },
    /// Recompute every balance from the ledger; exits non-zero on any drift.
    Verify,
    /// Build a dataset for measuring at scale under the demo's direct reseller: an empty database
    /// gets the demo first; a database with anything beyond the demo is refused.
    Seed {
        /// Sub-accounts of the direct reseller (every tenth a reseller with two customers).
        #[arg(long, default_value_t = 100_000)]
        sub_accounts: u32,
        /// Grants and revokes, spread over the past year.
        #[arg(long, default_value_t = 1_000_000)]
        transfers: u32,
    },
    /// Measure the read paths through HTTP against a running server (seeded with `seed`).
    BenchReads(crate::bench::BenchArgs),
    /// Direct resellers (platform operators only).
    Reseller {
        #[command(subcommand)]
        command: ResellerCommand,
    },
    /// Issue new credits to a direct reseller.
    TopUp {
        /// Login of a user of the direct reseller.
        #[arg(long)]
        login: String,
        #[arg(long)]
        credits: i64,
        /// Why: kept with the transfer in the ledger.
        #[arg(long)]
        note: String,
    },
    /// Users who sign in.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResellerCommand {
    /// Open a direct reseller with one user. The password is read from stdin when it is piped in;
    /// otherwise one is generated and printed once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        login: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Replace a user's password (read from stdin when piped in, otherwise generated and printed once)
    /// and end the user's sessions.
    SetPassword {
        #[arg(long)]
        login: String,
    },
}

#[derive(Debug, Args)]
pub struct DatabaseConfig {
    /// `sqlite://file.db?mode=rwc` (created on first run) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://creditdesk.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Most connections the pool opens.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub database_max_connections: u32,
    /// PostgreSQL: cancel statements running longer than this many milliseconds.
    #[arg(
        long,
        env = "DATABASE_STATEMENT_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub database_statement_timeout_ms: u64,
    /// Attempts to reach the database at start-up, with back-off between them.
    #[arg(
        long,
        env = "DATABASE_CONNECT_ATTEMPTS",
        default_value_t = 5,
        global = true
    )]
    pub database_connect_attempts: u32,
}

impl DatabaseConfig {
    pub fn settings(&self) -> DbSettings {
        DbSettings {
            url: self.database_url.clone(),
            max_connections: self.database_max_connections,
            statement_timeout: Duration::from_millis(self.database_statement_timeout_ms),
            connect_attempts: self.database_connect_attempts,
        }
    }
}

/// How signing in behaves.
#[derive(Debug, Clone, Args)]
pub struct SessionConfig {
    /// Minutes a session lasts without use (use slides it forward).
    #[arg(
        long,
        env = "SESSION_IDLE_MINUTES",
        default_value_t = 720,
        global = true
    )]
    pub session_idle_minutes: u64,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Host` / `X-Forwarded-Proto`: only behind a load
    /// balancer that sets them.
    #[arg(long, env = "TRUST_PROXY", default_value_t = false, global = true)]
    pub trust_proxy: bool,
}

impl SessionConfig {
    pub fn policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle: Duration::from_secs(self.session_idle_minutes.saturating_mul(60)),
        }
    }
}

/// Where to listen and where the built site lives (the variable names are cargo-leptos's).
#[derive(Debug, Clone, Args)]
pub struct SiteConfig {
    /// Address to listen on; port 0 picks a free one.
    #[arg(
        long,
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,
    /// Folder with the built assets (`pkg/` inside).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: String,
    /// Base name of the built JS, wasm and CSS files.
    #[arg(
        long,
        env = "LEPTOS_OUTPUT_NAME",
        default_value = "creditdesk",
        global = true
    )]
    pub output_name: String,
}

impl SiteConfig {
    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_addr(self.addr)
            .build()
    }
}
