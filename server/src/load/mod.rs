//! Load tools that drive the real server binary over HTTP: `server bench-transfers` (throughput and
//! latency of credit movements, against the bare database) and `server crash-test` (SIGKILL under
//! load, then every acknowledged movement checked against the ledger).
//!
//! Both build the same kind of tree through the ledger ([`tree`]), draw the same movements
//! ([`workload`]), send them with API keys as any client would ([`clients`]), and run `serve` as a
//! child process ([`process`]). They go through `/v1/transfers` and `/v1/usage` only, so they
//! measure whatever the ledger's movement path is at the time; the bench also makes the same
//! movements through the ledger in its own process ([`in_process`]), to tell the HTTP path's
//! cost from the ledger's.

pub mod baseline;
pub mod bench;
pub mod clients;
pub mod crash;
pub mod in_process;
pub mod process;
pub mod report;
pub mod tree;
pub mod workload;

/// Why a load run stopped before it could report.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("could not make the database: {0}")]
    Database(#[source] sqlx::Error),
    #[error(transparent)]
    Connect(#[from] ledger::ConnectError),
    #[error("could not build the tree: {0}")]
    Tree(#[from] tree::TreeError),
    #[error("the server process: {0}")]
    Process(#[from] std::io::Error),
    #[error("the server did not answer within {0:?} of starting")]
    NotServing(std::time::Duration),
    #[error("the server process exited on its own: {0}")]
    ServerExited(std::process::ExitStatus),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the bare database loop: {0}")]
    Baseline(#[source] sqlx::Error),
    #[error("reading the ledger afterwards: {0}")]
    Read(#[from] ledger::StoreError),
    #[error("a client task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the crash test found {} problem(s), the first of them:\n{}", .0.len(), first_lines(.0))]
    Lost(Vec<String>),
}

/// Enough findings to see what went wrong without burying it.
fn first_lines(findings: &[String]) -> String {
    findings
        .iter()
        .take(20)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}
