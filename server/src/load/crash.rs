//! `server crash-test`: clients move credits through the API while the server is killed with
//! SIGKILL at random moments and started again. Each client sends every movement under its own
//! `Idempotency-Key` until it gets an answer, as a careful client of the API would (a refusal for
//! lack of credits is an answer). Afterwards the ledger must hold exactly what the clients were
//! told: every acknowledged transfer once, by id and by key, no transfer nobody was told of,
//! `verify` clean, and every balance equal to its starting balance plus the acknowledged transfers.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use ledger::{Backend, DbSettings, Ledger, ScratchDatabase};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{AnyConnection, Connection};

use crate::load::LoadError;
use crate::load::clients::{Answer, ApiClient};
use crate::load::process::ServerSpec;
use crate::load::tree::{self, Tree, TreePlan};
use crate::load::workload::{Flow, Move};
use crate::operator::operator;

/// A client that gets no answer for this long reports the movement as unanswered.
const GIVE_UP: Duration = Duration::from_secs(60);
/// Refusals that depend on balances: answers, kept for the key like a transfer.
const REFUSALS: [&str; 3] = ["not-enough-credits", "sub-account-short", "usage-short"];

#[derive(Debug, Clone, Args)]
pub struct CrashArgs {
    /// How many times the server is killed (and started again).
    #[arg(long, default_value_t = 20)]
    pub kills: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Longest pause, in milliseconds, between a restart and the next kill (each pause is drawn
    /// between a tenth of it and all of it).
    #[arg(long, default_value_t = 1_000)]
    pub max_pause_ms: u64,
}

/// What a clean run saw.
#[derive(Debug, Clone)]
pub struct CrashReport {
    pub backend: Backend,
    pub kills: u32,
    /// Movements the clients were told were applied.
    pub acknowledged: usize,
    /// Of those, how many were told only by a retry's replay (the first answer was lost).
    pub replayed: usize,
    /// Movements refused for lack of credits.
    pub refused: u64,
    /// Requests sent again for want of an answer.
    pub retries: u64,
}

impl fmt::Display for CrashReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}: {} kills; {} movements acknowledged ({} of them through a replay after the first \
             answer was lost), {} refused for lack of credits, {} requests sent again; verify \
             clean, every acknowledged transfer in the ledger once, no other, balances as modelled",
            self.backend, self.kills, self.acknowledged, self.replayed, self.refused, self.retries
        )
    }
}

/// Makes a fresh database (on the PostgreSQL server of `database_url`, or a SQLite file), runs
/// the test on it, and removes it.
pub async fn run_on_fresh_database(
    server_binary: &Path,
    database_url: &str,
    args: &CrashArgs,
) -> Result<CrashReport, LoadError> {
    let database = ScratchDatabase::create(database_url, "creditdesk_crash")
        .await
        .map_err(LoadError::Database)?;
    run(server_binary, &database.settings.url, args).await
}

/// One acknowledged movement, as its client saw it.
#[derive(Debug, Clone)]
struct Ack {
    transfer_id: i64,
    key: String,
    flow: Flow,
}

#[derive(Debug, Default)]
struct ClientLog {
    acks: Vec<Ack>,
    replayed: usize,
    refused: u64,
    retries: u64,
    /// Answers no careful client should get: a reused key, a 404, a movement never answered.
    unexpected: Vec<String>,
}

/// Runs the test on the empty database at `database_url`.
pub async fn run(
    server_binary: &Path,
    database_url: &str,
    args: &CrashArgs,
) -> Result<CrashReport, LoadError> {
    let ledger = Ledger::connect(&DbSettings::new(database_url)).await?;
    let backend = ledger.backend();
    let tree = tree::build(&ledger, &TreePlan::CRASH).await?;
    let keys = Arc::new(tree::make_keys(&ledger, &tree).await?);
    ledger.close().await;
    let before = Snapshot::read(database_url).await?;

    let spec = ServerSpec::new(server_binary, database_url)?;
    let http = reqwest::Client::new();
    let mut server = spec.start(&http).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::with_capacity(args.clients);
    for client in 0..args.clients {
        let api = ApiClient::new(&spec.base_url(), Arc::clone(&keys))?;
        let (tree, stop) = (tree.clone(), Arc::clone(&stop));
        clients.push(tokio::spawn(send_until_stopped(api, tree, stop, client)));
    }

    let mut rng = StdRng::from_entropy();
    let max_pause = args.max_pause_ms.max(10);
    let mut pause = || Duration::from_millis(rng.gen_range(max_pause / 10..=max_pause));
    for _ in 0..args.kills {
        tokio::time::sleep(pause()).await;
        server.kill()?;
        server = spec.start(&http).await?;
    }
    tokio::time::sleep(pause()).await;
    stop.store(true, Ordering::Relaxed);
    let mut log = ClientLog::default();
    for client in clients {
        let client = client.await?;
        log.acks.extend(client.acks);
        log.replayed += client.replayed;
        log.refused += client.refused;
        log.retries += client.retries;
        log.unexpected.extend(client.unexpected);
    }
    server.kill()?;

    let ledger = Ledger::connect(&DbSettings::new(database_url)).await?;
    let verified = ledger.verify(&operator()).await?;
    ledger.close().await;
    let after = Snapshot::read(database_url).await?;
    let mut findings = log.unexpected.clone();
    if !verified.is_clean() {
        findings.push(format!("verify is not clean: {verified:?}"));
    }
    let new_transfers = transfers_since(database_url, before.last_transfer).await?;
    findings.extend(compare(&log.acks, &new_transfers, &before, &after, &tree));
    if !findings.is_empty() {
        return Err(LoadError::Lost(findings));
    }
    Ok(CrashReport {
        backend,
        kills: args.kills,
        acknowledged: log.acks.len(),
        replayed: log.replayed,
        refused: log.refused,
        retries: log.retries,
    })
}

/// One client: movement after movement, each sent until answered, until told to stop.
async fn send_until_stopped(
    api: ApiClient,
    tree: Tree,
    stop: Arc<AtomicBool>,
    client: usize,
) -> ClientLog {
    let mut rng = StdRng::seed_from_u64(client as u64);
    let mut log = ClientLog::default();
    while !stop.load(Ordering::Relaxed) {
        let movement = Move::draw(&tree, &mut rng);
        let key = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let answer = loop {
            match api.send(&movement, &key).await {
                // A 5xx is no answer: the server may have died under the request.
                Ok(Answer::Refused { status, .. }) if status >= 500 => {}
                Ok(answer) => break Some(answer),
                Err(_) => {}
            }
            if started.elapsed() > GIVE_UP {
                break None;
            }
            log.retries += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        match answer {
            Some(Answer::Moved {
                transfer_id,
                replayed,
            }) => {
                log.replayed += usize::from(replayed);
                log.acks.push(Ack {
                    transfer_id,
                    key,
                    flow: movement.flow(&tree),
                });
            }
            Some(Answer::Refused {
                status: 409,
                problem,
            }) if REFUSALS.contains(&problem.as_str()) => log.refused += 1,
            Some(refused) => log
                .unexpected
                .push(format!("{key} ({movement:?}) answered {}", refused.kind())),
            None => log.unexpected.push(format!(
                "{key} ({movement:?}) got no answer within {GIVE_UP:?}"
            )),
        }
    }
    log
}

/// A transfer as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recorded {
    id: i64,
    key: String,
    actor_account: i64,
    kind: String,
    from: i64,
    to: i64,
    amount: i64,
}

/// Every balance and the newest transfer id, read behind the ledger's back.
struct Snapshot {
    balances: BTreeMap<i64, i64>,
    last_transfer: i64,
}

impl Snapshot {
    async fn read(database_url: &str) -> Result<Self, LoadError> {
        let mut conn = AnyConnection::connect(database_url)
            .await
            .map_err(LoadError::Database)?;
        let balances: Vec<(i64, i64)> = sqlx::query_as("SELECT id, balance FROM accounts")
            .fetch_all(&mut conn)
            .await
            .map_err(LoadError::Database)?;
        let last_transfer: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM transfers")
            .fetch_one(&mut conn)
            .await
            .map_err(LoadError::Database)?;
        conn.close().await.map_err(LoadError::Database)?;
        Ok(Self {
            balances: balances.into_iter().collect(),
            last_transfer,
        })
    }
}

/// The transfers recorded after transfer `since`.
async fn transfers_since(database_url: &str, since: i64) -> Result<Vec<Recorded>, LoadError> {
    let mut conn = AnyConnection::connect(database_url)
        .await
        .map_err(LoadError::Database)?;
    let rows: Vec<(i64, String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, idempotency_key, actor_account_id, kind, from_account_id, to_account_id, \
             amount FROM transfers WHERE id > $1 ORDER BY id",
    )
    .bind(since)
    .fetch_all(&mut conn)
    .await
    .map_err(LoadError::Database)?;
    conn.close().await.map_err(LoadError::Database)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, key, actor_account, kind, from, to, amount)| Recorded {
                id,
                key,
                actor_account,
                kind,
                from,
                to,
                amount,
            },
        )
        .collect())
}

/// What the ledger holds against what the clients were told; one line per difference.
fn compare(
    acks: &[Ack],
    recorded: &[Recorded],
    before: &Snapshot,
    after: &Snapshot,
    tree: &Tree,
) -> Vec<String> {
    let mut findings = Vec::new();
    let by_id: HashMap<i64, &Recorded> = recorded.iter().map(|row| (row.id, row)).collect();
    let mut keys_recorded: HashMap<(i64, &str), usize> = HashMap::new();
    for row in recorded {
        *keys_recorded
            .entry((row.actor_account, row.key.as_str()))
            .or_default() += 1;
    }
    let mut acked_ids: HashMap<i64, &str> = HashMap::new();
    for ack in acks {
        if let Some(other) = acked_ids.insert(ack.transfer_id, &ack.key) {
            findings.push(format!(
                "transfer {} was acknowledged for two keys: {other} and {}",
                ack.transfer_id, ack.key
            ));
        }
        let expected = Recorded {
            id: ack.transfer_id,
            key: ack.key.clone(),
            actor_account: ack.flow.actor_account.0,
            kind: ack.flow.kind.as_str().to_owned(),
            from: ack.flow.from.0,
            to: ack.flow.to.0,
            amount: ack.flow.amount,
        };
        match by_id.get(&ack.transfer_id) {
            None => findings.push(format!(
                "acknowledged transfer {} (key {}) is not in the ledger",
                ack.transfer_id, ack.key
            )),
            Some(row) if **row != expected => findings.push(format!(
                "acknowledged transfer {} is recorded as {row:?}, not {expected:?}",
                ack.transfer_id
            )),
            Some(_) => {}
        }
        let times = keys_recorded
            .get(&(ack.flow.actor_account.0, ack.key.as_str()))
            .copied()
            .unwrap_or(0);
        if times != 1 {
            findings.push(format!("key {} is in the ledger {times} times", ack.key));
        }
    }
    for row in recorded {
        if !acked_ids.contains_key(&row.id) {
            findings.push(format!(
                "transfer {} (key {}) is in the ledger but no client was told of it",
                row.id, row.key
            ));
        }
    }

    let mut model = before.balances.clone();
    for ack in acks {
        *model.entry(ack.flow.from.0).or_default() -= ack.flow.amount;
        *model.entry(ack.flow.to.0).or_default() += ack.flow.amount;
    }
    for (account, expected) in &model {
        let actual = after.balances.get(account).copied().unwrap_or_default();
        if actual != *expected {
            let role = if *account == tree.platform.0 {
                " (the platform)"
            } else {
                ""
            };
            findings.push(format!(
                "account {account}{role} holds {actual}, the acknowledged transfers say {expected}"
            ));
        }
    }
    findings
}
