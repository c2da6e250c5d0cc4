//! `server bench-transfers`: credit movements per second through HTTP, with latency, errors by
//! kind and the server's peak memory, for each number of concurrent clients asked for; and in the
//! same run the bare database loop ([`crate::load::baseline`]) on a copy of the tree, the ratio of
//! the two, and as many tasks calling the ledger in this process ([`crate::load::in_process`]) on
//! a third copy, with where its writer's batches spent their time.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use ledger::{Backend, BatchTimes, ScratchDatabase};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::load::clients::{Answer, ApiClient, no_answer};
use crate::load::in_process::{self, Actors};
use crate::load::process::ServerSpec;
use crate::load::report::{Tally, load_average, millis, per_second};
use crate::load::tree::{self, Keys, Tree, TreePlan};
use crate::load::workload::Move;
use crate::load::{LoadError, baseline};

#[derive(Debug, Clone, Args)]
pub struct BenchTransfersArgs {
    /// Concurrent clients, each with one keep-alive connection; a list (1,16,64) runs each in turn
    /// against the same server.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    pub clients: Vec<usize>,
    /// How long each run sends for (the bare database loop runs as long).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

/// Builds three copies of the tree in fresh databases (on the PostgreSQL server of `database_url`,
/// or SQLite files), measures, prints, and removes them.
pub async fn run(
    server_binary: &Path,
    database_url: &str,
    args: &BenchTransfersArgs,
) -> Result<(), LoadError> {
    let duration = Duration::from_secs(args.seconds);
    let served = ScratchDatabase::create(database_url, "creditdesk_bench")
        .await
        .map_err(LoadError::Database)?;
    let bare = ScratchDatabase::create(database_url, "creditdesk_bench")
        .await
        .map_err(LoadError::Database)?;
    let alone = ScratchDatabase::create(database_url, "creditdesk_bench")
        .await
        .map_err(LoadError::Database)?;
    let ledger = served.connect().await?;
    let backend = ledger.backend();
    let tree = tree::build(&ledger, &TreePlan::BENCH).await?;
    let keys = Arc::new(tree::make_keys(&ledger, &tree).await?);
    ledger.close().await;
    let bare_ledger = bare.connect().await?;
    let bare_tree = tree::build(&bare_ledger, &TreePlan::BENCH).await?;
    bare_ledger.close().await;

    println!(
        "{backend:?}: {} hot resellers with {} customers each, {} customers spread under the direct \
         reseller; {} s per run; load average before: {}",
        TreePlan::BENCH.hot_resellers,
        TreePlan::BENCH.customers_per_hot_reseller,
        TreePlan::BENCH.spread_customers,
        args.seconds,
        load_average()
    );
    let (mut bare_tally, bare_elapsed) =
        baseline::run(&bare.settings.url, backend, &bare_tree, duration)
            .await
            .map_err(LoadError::Baseline)?;
    let bare_rate = per_second(bare_tally.moved, bare_elapsed);
    let [p50, p99, max] = bare_tally.percentiles();
    println!(
        "bare database, 1 connection, one durable transaction per movement: {bare_rate:.0} \
         movements/s, p50 {}, p99 {}, max {}; {}",
        millis(p50),
        millis(p99),
        millis(max),
        bare_tally.errors()
    );

    // Before the server starts, so that the ledger has both cores to itself.
    let alone_figures = ledger_alone(&alone, &args.clients, duration).await?;

    let spec = ServerSpec::new(server_binary, &served.settings.url)?;
    let http = reqwest::Client::new();
    let server = spec.start(&http).await?;
    println!();
    println!(
        "| clients | transfers/s | p50 | p99 | max | HTTP ÷ bare | ledger alone, no HTTP: \
         transfers/s, p99, movements a batch | server peak memory | errors |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (&clients, alone) in args.clients.iter().zip(&alone_figures) {
        let (mut tally, elapsed) =
            send_for(&spec.base_url(), &keys, &tree, clients, duration).await?;
        let rate = per_second(tally.moved, elapsed);
        let [p50, p99, max] = tally.percentiles();
        let memory = server
            .peak_memory_kb()
            .map_or_else(|| "unknown".to_owned(), |kb| format!("{} MB", kb / 1024));
        println!(
            "| {clients} | {rate:.0} | {} | {} | {} | {:.2} | {} | {memory} | {} |",
            millis(p50),
            millis(p99),
            millis(max),
            rate / bare_rate.max(f64::EPSILON),
            alone.summary,
            tally.errors()
        );
    }
    server.kill()?;
    println!();
    println!(
        "Where the ledger alone's writer spent a batch's time, in ms per batch (it makes one batch \
         at a time; busy: the share of the run it was in a batch):"
    );
    println!("| clients | begin | read | decide | write | commit | busy |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (&clients, alone) in args.clients.iter().zip(&alone_figures) {
        println!("| {clients} | {} |", alone.steps);
    }
    println!();
    println!("load average after: {}", load_average());
    if backend == Backend::Sqlite {
        println!("(SQLite: WAL, synchronous=FULL, as the server runs it)");
    }
    Ok(())
}

/// What [`in_process::run`] measured for one number of tasks, as the tables print it.
struct AloneFigures {
    /// Transfers per second, p99 and movements a batch.
    summary: String,
    /// The writer's time per batch in each step, and its share of the run.
    steps: String,
}

/// For each number of tasks, what [`in_process::run`] measures on a tree built in `database`.
async fn ledger_alone(
    database: &ScratchDatabase,
    tasks: &[usize],
    duration: Duration,
) -> Result<Vec<AloneFigures>, LoadError> {
    let ledger = database.connect().await?;
    let tree = tree::build(&ledger, &TreePlan::BENCH).await?;
    let actors = Actors::of(&ledger, &tree).await?;
    let mut figures = Vec::with_capacity(tasks.len());
    for &tasks in tasks {
        let (before, times_before) = (ledger.group_commit_stats(), ledger.batch_times());
        let (mut tally, elapsed) =
            in_process::run(&ledger, &tree, &actors, tasks, duration).await?;
        let after = ledger.group_commit_stats();
        let batches = (after.batches - before.batches).max(1);
        let per_batch = (after.movements - before.movements) as f64 / batches as f64;
        let [_, p99, _] = tally.percentiles();
        let errors = if tally.errors.is_empty() {
            String::new()
        } else {
            format!("; {}", tally.errors())
        };
        figures.push(AloneFigures {
            summary: format!(
                "{:.0}, {}, {per_batch:.1}{errors}",
                per_second(tally.moved, elapsed),
                millis(p99)
            ),
            steps: steps(&ledger.batch_times().since(&times_before), batches, elapsed),
        });
    }
    ledger.close().await;
    Ok(figures)
}

/// `times` per batch, in ms, step by step as the table's columns list them, and their share of
/// `elapsed`.
fn steps(times: &BatchTimes, batches: u64, elapsed: Duration) -> String {
    let per_batch = |time: Duration| format!("{:.2}", time.as_secs_f64() * 1000.0 / batches as f64);
    format!(
        "{} | {} | {} | {} | {} | {:.0} %",
        per_batch(times.begin),
        per_batch(times.read),
        per_batch(times.decide),
        per_batch(times.write),
        per_batch(times.commit),
        100.0 * times.total().as_secs_f64() / elapsed.as_secs_f64().max(f64::EPSILON)
    )
}

/// `clients` clients send movements with fresh keys until `duration` is up.
async fn send_for(
    base_url: &str,
    keys: &Arc<Keys>,
    tree: &Tree,
    clients: usize,
    duration: Duration,
) -> Result<(Tally, Duration), LoadError> {
    let started = Instant::now();
    let until = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let api = ApiClient::new(base_url, Arc::clone(keys))?;
        let tree = tree.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(client as u64);
            let mut tally = Tally::default();
            while Instant::now() < until {
                let movement = Move::draw(&tree, &mut rng);
                let key = uuid::Uuid::new_v4().to_string();
                let began = Instant::now();
                let (kind, moved) = match api.send(&movement, &key).await {
                    Ok(answer) => (answer.kind(), matches!(answer, Answer::Moved { .. })),
                    Err(error) => (no_answer(&error), false),
                };
                tally.count(kind, began.elapsed(), moved);
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await?);
    }
    Ok((total, started.elapsed()))
}
