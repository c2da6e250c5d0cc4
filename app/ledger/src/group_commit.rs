//! Group commit: one writer per ledger gathers the credit movements that wait at the same moment
//! into one transaction, so that they share one commit (one flush to disk) and, on PostgreSQL, one
//! wait for a busy parent's row lock.
//!
//! Callers queue their movement and wait for its answer. The writer takes the first movement
//! waiting and every other one already queued, at most [`max_batch`], with no timer: a lone call
//! goes straight through, and batches grow by themselves while a commit is under way. Each member
//! is checked on its own against the accounts as the members before it left them ([`decide`]), so
//! a refusal writes nothing but its kept answer. Answers go out after the commit, never before.
//!
//! On PostgreSQL each member has a savepoint: when its own statement fails (a deadlock with
//! another server's batch, a timeout), it is rolled back to it and applied again after the batch,
//! in a transaction of its own. SQLite's one writer has nothing to deadlock with and no savepoints
//! (two statements fewer per member): a failed statement breaks the batch. When the batch cannot go
//! on or does not commit, every member is applied again alone: a transient failure reaches no
//! caller, and no caller hears "applied" from a batch that failed.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::StoreError;
use crate::clock::Clock;
use crate::db::{Backend, Db, WriteTx, is_transient};
use crate::live::{self, Commits};
use crate::transfers::{
    Applied, Known, Movement, TransferError, Undecided, answer_after_failure, decide,
};

/// Movements queued beyond this wait to be queued: memory stays bounded under any load.
const QUEUE: usize = 1024;

/// The most movements in one transaction: enough to reach the disk's speed, few enough that one
/// batch never holds the write lock for long. On PostgreSQL each member's savepoint is a
/// subtransaction, and one transaction with more than 64 of them that wrote overflows the cache
/// every other session's snapshots consult.
fn max_batch(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 256,
        Backend::Postgres => 64,
    }
}

/// Tries of a movement applied alone, when a deadlock or a serialization failure (another server's
/// batch held what it needed) ends one.
const ALONE_ATTEMPTS: u32 = 3;

/// How the writer has grouped movements since the ledger connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Batch transactions committed.
    pub batches: u64,
    /// Movements answered from those batches.
    pub movements: u64,
    /// Movements applied again alone, after their batch or their own statement failed.
    pub applied_alone: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    movements: AtomicU64,
    applied_alone: AtomicU64,
}

/// The queue to this ledger's writer; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

/// The writer's shared state: the database, its counters, and the signal its commits send.
struct Shared {
    db: Db,
    counters: Arc<Counters>,
    commits: Commits,
}

/// A movement waiting for its batch, with what its caller needs back.
struct Job {
    movement: Movement,
    /// The caller's clock: a ledger and its clones with another clock share one writer.
    clock: Clock,
    /// The caller's span, so that what the writer does for this movement is logged under it.
    span: tracing::Span,
    reply: oneshot::Sender<Result<Applied, TransferError>>,
}

impl Writer {
    /// Starts the writer task on the current runtime; it ends when the last clone of the queue does.
    pub(crate) fn start(db: Db, commits: Commits) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        let shared = Shared {
            db,
            counters: Arc::clone(&counters),
            commits,
        };
        tokio::spawn(run(shared, waiting));
        Self { queue, counters }
    }

    /// Applies `movement` in the next batch and answers once that batch has committed.
    pub(crate) async fn submit(
        &self,
        movement: Movement,
        clock: Clock,
    ) -> Result<Applied, TransferError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            movement,
            clock,
            span: tracing::Span::current(),
            reply,
        };
        // A writer that is gone (its runtime shut down, or its batch panicked) cannot answer: the
        // caller hears of a store failure and may retry with the same key, never waits forever.
        self.queue.send(job).await.map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        GroupCommitStats {
            batches: read(&self.counters.batches),
            movements: read(&self.counters.movements),
            applied_alone: read(&self.counters.applied_alone),
        }
    }
}

fn writer_gone() -> TransferError {
    TransferError::Store(StoreError::Database(sqlx::Error::WorkerCrashed))
}

/// The writer: one batch at a time, each the first movement waiting plus whatever queued behind it.
async fn run(shared: Shared, mut waiting: mpsc::Receiver<Job>) {
    let max = max_batch(shared.db.backend());
    let mut batch = Vec::with_capacity(max);
    while waiting.recv_many(&mut batch, max).await > 0 {
        let jobs = std::mem::replace(&mut batch, Vec::with_capacity(max));
        // A panic drops this batch's replies (its callers hear of a store failure), not the writer.
        let committed = AssertUnwindSafe(commit_batch(&shared, jobs))
            .catch_unwind()
            .await;
        if committed.is_err() {
            tracing::error!(
                "a batch of movements panicked; its callers were told of a store error"
            );
        }
    }
}

async fn commit_batch(shared: &Shared, jobs: Vec<Job>) {
    let Shared {
        db,
        counters,
        commits,
    } = shared;
    let size = jobs.len();
    let alone = match db.begin_write().await {
        Ok(tx) => {
            apply_together(shared, tx, jobs)
                .instrument(tracing::info_span!("batch", size))
                .await
        }
        Err(error) => {
            tracing::warn!(%error, size, "could not begin a batch; applying its movements alone");
            jobs
        }
    };
    counters
        .applied_alone
        .fetch_add(alone.len() as u64, Ordering::Relaxed);
    for job in alone {
        let answer = apply_alone(db, commits, &job.movement, &job.clock)
            .instrument(job.span.clone())
            .await;
        job.answer(answer);
    }
}

/// Applies every member in `tx`, each under its own savepoint, commits once and answers them.
/// Returns the members still to apply alone: those whose own statement failed, or all of them when
/// the batch broke or did not commit.
async fn apply_together(shared: &Shared, mut tx: WriteTx, jobs: Vec<Job>) -> Vec<Job> {
    let Shared {
        db,
        counters,
        commits,
    } = shared;
    let size = jobs.len();
    // Every member's request-id turn first, in the one order all servers use: a batch then never
    // holds an account row while it waits for a turn, so two servers' batches cannot deadlock
    // over turns and rows.
    let turns: Vec<String> = jobs.iter().map(|job| job.movement.turn()).collect();
    if let Err(error) = db.lock_keys(&mut tx, &turns).await {
        tracing::warn!(%error, "could not take the batch's turns; applying its movements alone");
        abandon(tx).await;
        return jobs;
    }
    let movements: Vec<&Movement> = jobs.iter().map(|job| &job.movement).collect();
    let mut known = match Known::read(&mut tx, &movements).await {
        Ok(known) => known,
        Err(error) => {
            tracing::warn!(%error, "could not read the batch's accounts; applying its movements alone");
            abandon(tx).await;
            return jobs;
        }
    };
    let mut decided = Vec::with_capacity(size);
    let mut alone = Vec::new();
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        job.span.record("batch", size);
        match decide(&mut tx, &mut known, &job.movement, &job.clock)
            .instrument(job.span.clone())
            .await
        {
            Ok(answer) => decided.push((job, answer)),
            Err(Undecided::Member(error)) => {
                tracing::warn!(parent: &job.span, %error, "rolled back in its batch; applying it alone");
                alone.push(job);
            }
            Err(Undecided::Batch(error)) => {
                tracing::warn!(%error, "the batch broke; applying its movements alone");
                abandon(tx).await;
                alone.push(job);
                alone.extend(jobs);
                alone.extend(decided.into_iter().map(|(job, _)| job));
                return alone;
            }
        }
    }
    if let Err(error) = commit(tx, commits).await {
        tracing::warn!(%error, "the batch did not commit; applying its movements alone");
        alone.extend(decided.into_iter().map(|(job, _)| job));
        return alone;
    }
    counters.batches.fetch_add(1, Ordering::Relaxed);
    counters
        .movements
        .fetch_add(decided.len() as u64, Ordering::Relaxed);
    for (job, answer) in decided {
        job.answer(answer);
    }
    alone
}

/// One movement in a transaction of its own, tried again after a deadlock or a serialization
/// failure.
async fn apply_alone(
    db: &Db,
    commits: &Commits,
    movement: &Movement,
    clock: &Clock,
) -> Result<Applied, TransferError> {
    let mut attempt = 1;
    loop {
        match once_alone(db, commits, movement, clock).await {
            Ok(answer) => return answer,
            Err(error) if attempt < ALONE_ATTEMPTS && is_transient(&error) => attempt += 1,
            Err(error) => return answer_after_failure(db, movement, error).await,
        }
    }
}

async fn once_alone(
    db: &Db,
    commits: &Commits,
    movement: &Movement,
    clock: &Clock,
) -> Result<Result<Applied, TransferError>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    db.lock_keys(&mut tx, &[movement.turn()]).await?;
    let mut known = match Known::read(&mut tx, &[movement]).await {
        Ok(known) => known,
        Err(error) => {
            abandon(tx).await;
            return match error {
                StoreError::Database(error) => Err(error),
                other => Ok(Err(other.into())),
            };
        }
    };
    match decide(&mut tx, &mut known, movement, clock).await {
        Ok(answer) => {
            commit(tx, commits).await?;
            Ok(answer)
        }
        Err(Undecided::Member(error)) => {
            abandon(tx).await;
            Err(error)
        }
        Err(Undecided::Batch(error)) => {
            abandon(tx).await;
            match error {
                TransferError::Store(StoreError::Database(error)) => Err(error),
                other => Ok(Err(other)),
            }
        }
    }
}

/// Commits movements and tells live readers: this server's at once, other servers' (PostgreSQL)
/// through a notification that the database delivers only if the transaction commits.
async fn commit(mut tx: WriteTx, commits: &Commits) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(live::CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    commits.bump();
    Ok(())
}

/// Rolls back a transaction that failed; if even that fails, the connection is closed, which rolls
/// back all the same.
async fn abandon(tx: WriteTx) {
    if let Err(error) = tx.rollback().await {
        tracing::debug!(%error, "rollback failed; the connection is dropped");
    }
}

impl Job {
    fn answer(self, answer: Result<Applied, TransferError>) {
        self.span.in_scope(|| match &answer {
            Ok(applied) if applied.replayed => tracing::info!("first answer replayed"),
            Ok(applied) => tracing::info!(id = applied.id, "transfer recorded"),
            Err(refusal) => tracing::info!(%refusal, "movement refused"),
        });
        // A caller that stopped waiting changes nothing: its movement stands, and a retry with the
        // same key gets its answer.
        let _ = self.reply.send(answer);
    }
}
