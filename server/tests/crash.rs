//! The crash test, shortened: the server binary is killed with SIGKILL under load `CRASH_KILLS`
//! times (3 by default; `server crash-test --kills 20` is the full run), on the backend of
//! `TEST_DATABASE_URL`. Every movement a client was told of must be in the ledger exactly once,
//! nothing else, `verify` clean, and every balance as the acknowledged transfers say.

use std::path::Path;

use ledger::testing::TestDatabase;
use server::load::crash::{CrashArgs, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_under_load_the_server_loses_and_repeats_nothing() {
    let kills = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|kills| kills.parse().ok())
        .unwrap_or(3);
    let database = TestDatabase::new().await;
    let args = CrashArgs {
        kills,
        clients: 8,
        max_pause_ms: 600,
    };
    let report = run(
        Path::new(env!("CARGO_BIN_EXE_server")),
        &database.settings.url,
        &args,
    )
    .await
    .unwrap_or_else(|error| panic!("{error}"));
    println!("{report}");
    assert!(
        report.acknowledged > 0,
        "no movement went through: {report}"
    );
}
