//! Typed configuration: command-line flags, each with an environment variable and a default.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ledger::{DbSettings, SessionPolicy};
use leptos::config::LeptosOptions;

use crate::proxy::{PublicUrl, TrustedProxies};
use crate::web::WebConfig;

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
    #[command(flatten)]
    pub edge: EdgeConfig,
    #[command(flatten)]
    pub metrics: MetricsConfig,
    #[command(flatten)]
    pub webhooks: WebhookConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Ledger(LedgerCommand),
    #[command(flatten)]
    Load(LoadCommand),
}

/// Load tools: each makes fresh databases of its own (SQLite files in the temp directory, or
/// databases on the PostgreSQL server of `--database-url`), starts this binary's `serve` on them,
/// and removes them afterwards.
#[derive(Debug, Subcommand)]
pub enum LoadCommand {
    /// Measure credit movements through HTTP (`/v1/transfers`, `/v1/usage`) under concurrent
    /// clients, against the bare database loop of the same statements. Build with `--release`.
    BenchTransfers(crate::load::bench::BenchTransfersArgs),
    /// Kill the server with SIGKILL under load, again and again, and check that every acknowledged
    /// movement is in the ledger exactly once and every balance adds up.
    CrashTest(crate::load::crash::CrashArgs),
}

/// Commands on the database of `--database-url`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
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
    /// Issue new credits to a direct reseller, once per request id.
    TopUp {
        /// Login of a user of the direct reseller.
        #[arg(long)]
        login: String,
        #[arg(long)]
        credits: i64,
        /// Why: kept with the transfer in the ledger.
        #[arg(long)]
        note: String,
        /// Your reference for this top-up, e.g. the invoice number (8 to 64 letters, digits, '-'
        /// or '_'). Running the command again with it tops up once and says "Already applied".
        #[arg(long)]
        request_id: String,
    },
    /// Users who sign in.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API keys of an account, or operator keys of the platform.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Charge an account for what it sent: its credits go back to the platform (never below zero).
    Usage {
        /// Login of a user of the account to charge.
        #[arg(long)]
        login: String,
        #[arg(long)]
        credits: i64,
        /// What was sent (a batch or message id): kept with the transfer in the ledger.
        #[arg(long)]
        reference: String,
        /// The caller's id for this charge: the same id again charges once.
        #[arg(long)]
        request_id: String,
    },
}

/// Whose key: an account's (by a user's login) or the platform's.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct KeyHolder {
    /// Login of a user of the account the key acts for.
    #[arg(long)]
    pub login: Option<String>,
    /// An operator key: acts for the platform, scope `usage` only.
    #[arg(long)]
    pub operator: bool,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key and print it once on stdout (and nothing else).
    Create {
        #[command(flatten)]
        holder: KeyHolder,
        /// Recorded as the actor of the key's transfers ("API key: <name>").
        #[arg(long)]
        name: String,
        /// Comma-separated: read, transfer, manage (account keys) or usage (operator keys).
        #[arg(long)]
        scope: String,
    },
    /// Revoke a key at once: by id, or by its name with --login or --operator.
    Revoke {
        #[arg(long, conflicts_with_all = ["name", "login", "operator"])]
        id: Option<i64>,
        #[arg(long, requires = "holder")]
        name: Option<String>,
        #[arg(long, group = "holder")]
        login: Option<String>,
        #[arg(long, group = "holder")]
        operator: bool,
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

/// How webhook deliveries are posted and retried.
#[derive(Debug, Clone, Args)]
pub struct WebhookConfig {
    /// Milliseconds before the first retry of a failed delivery; each retry after waits twice as
    /// long as the one before, at most an hour, for a day.
    #[arg(
        long,
        env = "WEBHOOK_RETRY_BASE_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub webhook_retry_base_ms: u64,
    /// Milliseconds a receiver has to answer a delivery.
    #[arg(
        long,
        env = "WEBHOOK_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub webhook_timeout_ms: u64,
}

impl WebhookConfig {
    pub fn settings(&self) -> crate::webhooks::WebhookSettings {
        crate::webhooks::WebhookSettings {
            retry_base: Duration::from_millis(self.webhook_retry_base_ms),
            timeout: Duration::from_millis(self.webhook_timeout_ms),
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
    /// Minutes a session lasts at most after signing in, however much it is used.
    #[arg(
        long,
        env = "SESSION_ABSOLUTE_MINUTES",
        default_value_t = 7 * 24 * 60,
        global = true
    )]
    pub session_absolute_minutes: u64,
}

impl SessionConfig {
    pub fn policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle: Duration::from_secs(self.session_idle_minutes.saturating_mul(60)),
            absolute: Duration::from_secs(self.session_absolute_minutes.saturating_mul(60)),
        }
    }
}

/// How browsers reach the app: directly, or through proxies that set `X-Forwarded-*`.
#[derive(Debug, Clone, Args)]
pub struct EdgeConfig {
    /// Behind a load balancer or proxy that every request passes through: take the client's
    /// address from `X-Forwarded-For` and, without `PUBLIC_URL`, the site from `X-Forwarded-Host`
    /// and `X-Forwarded-Proto`.
    #[arg(long, env = "TRUST_PROXY", default_value_t = false, global = true)]
    pub trust_proxy: bool,
    /// With `TRUST_PROXY`: how many proxies of ours each append to `X-Forwarded-For`.
    #[arg(
        long,
        env = "TRUSTED_PROXY_HOPS",
        default_value_t = 1,
        value_parser = clap::value_parser!(u16).range(1..),
        global = true
    )]
    pub trusted_proxy_hops: u16,
    /// The URL browsers use, like `https://credits.example`: calls are accepted from that origin
    /// only, and `https` makes the session cookie `Secure`.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<PublicUrl>,
    /// Requests per minute one API key may make, per server process (a burst of as many, then
    /// an even rate).
    #[arg(
        long,
        env = "API_RATE_LIMIT_PER_MINUTE",
        default_value_t = crate::api::DEFAULT_RATE_LIMIT_PER_MINUTE,
        global = true
    )]
    pub api_rate_limit_per_minute: u32,
}

impl EdgeConfig {
    pub fn web(&self) -> WebConfig {
        WebConfig {
            proxies: self.trust_proxy.then_some(TrustedProxies {
                hops: usize::from(self.trusted_proxy_hops),
            }),
            public_url: self.public_url.clone(),
            api_rate_limit_per_minute: self.api_rate_limit_per_minute,
        }
    }
}

/// Where Prometheus scrapes the metrics.
#[derive(Debug, Clone, Args)]
pub struct MetricsConfig {
    /// Address of a listener of its own serving `GET /metrics` (Prometheus text), e.g.
    /// `127.0.0.1:9100`; no metrics when absent. Never the app's port, so they are not public.
    #[arg(long, env = "METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,
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
    /// The site as Leptos renders it. A build with `hash-files` leaves `hash.txt` (the content hash
    /// of each asset) next to the server binary; with it, pages name the fingerprinted assets.
    pub fn leptos_options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_addr(self.addr)
            .hash_files(hash_file_beside_binary())
            .build()
    }
}

/// Whether cargo-leptos left its list of asset hashes where Leptos reads it: beside the binary.
fn hash_file_beside_binary() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|binary| Some(binary.parent()?.join("hash.txt")))
        .is_some_and(|file| file.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_headers_count_only_with_trust_proxy() {
        let cli = Cli::try_parse_from(["server", "--trusted-proxy-hops", "2"]).unwrap();
        assert_eq!(cli.edge.web().proxies, None);
        let cli = Cli::try_parse_from(["server", "--trust-proxy"]).unwrap();
        assert_eq!(cli.edge.web().proxies, Some(TrustedProxies { hops: 1 }));
        let cli =
            Cli::try_parse_from(["server", "--trust-proxy", "--trusted-proxy-hops", "2"]).unwrap();
        assert_eq!(cli.edge.web().proxies, Some(TrustedProxies { hops: 2 }));
        assert!(Cli::try_parse_from(["server", "--trusted-proxy-hops", "0"]).is_err());
    }

    #[test]
    fn a_public_url_must_be_an_origin() {
        let cli =
            Cli::try_parse_from(["server", "--public-url", "https://credits.example/"]).unwrap();
        assert_eq!(
            cli.edge.web().public_url.map(|url| url.to_string()),
            Some("https://credits.example".to_owned())
        );
        assert!(Cli::try_parse_from(["server", "--public-url", "credits.example"]).is_err());
    }
}
