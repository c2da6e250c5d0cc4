//! Group commit: one writer per ledger gathers the credit movements that wait at the same moment
//! into one transaction, so that they share one commit (one flush to disk) and, on PostgreSQL, one
//! wait for a busy parent's row lock.
//!
//! Callers queue their movement and wait for its answer. The writer takes the first movement
//! waiting and every other one already queued, at most [`MAX_BATCH`], with no timer: a lone call
//! goes straight through, and batches grow by themselves while a commit is under way. Each member
//! is checked on its own against the accounts as the members before it left them ([`decide`]), so
//! a refusal writes nothing but its kept answer. Answers go out after the commit, never before.
//!
//! The batch reads what its members need in two statements ([`Known`]), and the moves that set
//! nothing off are written together at its end: all their entries in one statement, all their
//! balances in another. No member has a savepoint: a failed statement (on PostgreSQL a deadlock with
//! another server's batch, a timeout) breaks the batch. When the batch cannot go on or does not
//! commit, every member is applied again alone: a transient failure reaches no caller, and no
//! caller hears "applied" from a batch that failed.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::StoreError;
use crate::clock::Clock;
use crate::db::{Backend, Db, WriteTx, is_transient};
use crate::live::{self, Commits};
use crate::transfers::{Applied, Known, Movement, TransferError, answer_after_failure, decide};

/// Movements queued beyond this wait to be queued: memory stays bounded under any load.
const QUEUE: usize = 1024;

/// The most movements in one transaction: enough to reach the disk's speed, few enough that one
/// batch never holds the write lock for long (and its statements stay far below either backend's
/// limit on parameters).
const MAX_BATCH: usize = 256;

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

/// How long committed batches spent in each step, summed since the ledger connected: where the
/// writer's time goes, and so what bounds the movements it answers per second (it makes one batch
/// at a time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchTimes {
    /// Waiting for the write lock (on SQLite another process's writer may hold it) and beginning.
    pub begin: Duration,
    /// Taking the members' request-id turns and reading what they need ([`Known::read`]).
    pub read: Duration,
    /// Checking each member in memory, and writing at once those that set something off.
    pub decide: Duration,
    /// Writing the moves deferred to the batch's end: their entries, then their balances.
    pub write: Duration,
    /// Committing: on SQLite, appending the changed pages to the WAL and flushing it to disk.
    pub commit: Duration,
}

impl BatchTimes {
    /// The time spent in every step.
    pub fn total(&self) -> Duration {
        self.begin + self.read + self.decide + self.write + self.commit
    }

    /// What was spent after `earlier` was taken.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            begin: self.begin.saturating_sub(earlier.begin),
            read: self.read.saturating_sub(earlier.read),
            decide: self.decide.saturating_sub(earlier.decide),
            write: self.write.saturating_sub(earlier.write),
            commit: self.commit.saturating_sub(earlier.commit),
        }
    }

    fn add(&mut self, other: &Self) {
        self.begin += other.begin;
        self.read += other.read;
        self.decide += other.decide;
        self.write += other.write;
        self.commit += other.commit;
    }
}

/// Times one batch's steps as it goes; its times count only once it commits, as its movements do.
struct Laps {
    mark: Instant,
    times: BatchTimes,
}

impl Laps {
    fn start() -> Self {
        Self {
            mark: Instant::now(),
            times: BatchTimes::default(),
        }
    }

    /// Ends the step under way: the time since the last lap goes to `step`.
    fn lap(&mut self, step: fn(&mut BatchTimes) -> &mut Duration) {
        let now = Instant::now();
        *step(&mut self.times) += now - self.mark;
        self.mark = now;
    }
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    movements: AtomicU64,
    applied_alone: AtomicU64,
    times: Mutex<BatchTimes>,
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

/// What a caller hears of its movement.
type Answer = Result<Applied, TransferError>;

/// A movement waiting for its batch, with what its caller needs back.
struct Job {
    movement: Movement,
    /// The caller's clock: a ledger and its clones with another clock share one writer.
    clock: Clock,
    /// The caller's span, so that what the writer does for this movement is logged under it.
    span: tracing::Span,
    reply: oneshot::Sender<Answer>,
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

    pub(crate) fn batch_times(&self) -> BatchTimes {
        *self
            .counters
            .times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn writer_gone() -> TransferError {
    TransferError::Store(StoreError::Database(sqlx::Error::WorkerCrashed))
}

/// The writer: one batch at a time, each the first movement waiting plus whatever queued behind it.
async fn run(shared: Shared, mut waiting: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
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
    let mut laps = Laps::start();
    let alone = match db.begin_write().await {
        Ok(tx) => {
            laps.lap(|times| &mut times.begin);
            apply_together(shared, tx, jobs, laps)
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
        let answer = apply_alone(db, commits, &job)
            .instrument(job.span.clone())
            .await;
        job.answer(answer);
    }
}

/// Applies every member in `tx`, commits once and answers them. Returns the members still to apply
/// alone: all of them when the batch broke or did not commit, none otherwise.
async fn apply_together(
    shared: &Shared,
    mut tx: WriteTx,
    jobs: Vec<Job>,
    mut laps: Laps,
) -> Vec<Job> {
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
    for job in &jobs {
        job.span.record("batch", size);
    }
    let answers = match apply(&mut tx, &jobs, &mut laps).await {
        Ok(answers) => answers,
        Err(error) => {
            tracing::warn!(%error, "the batch broke; applying its movements alone");
            abandon(tx).await;
            return jobs;
        }
    };
    if let Err(error) = commit(tx, commits).await {
        tracing::warn!(%error, "the batch did not commit; applying its movements alone");
        return jobs;
    }
    laps.lap(|times| &mut times.commit);
    counters
        .times
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .add(&laps.times);
    counters.batches.fetch_add(1, Ordering::Relaxed);
    counters
        .movements
        .fetch_add(answers.len() as u64, Ordering::Relaxed);
    for (job, answer) in jobs.into_iter().zip(answers) {
        job.answer(answer);
    }
    Vec::new()
}

/// Checks every member in order against what the ones before it left, and writes the moves: the
/// answers, which hold once `tx` commits. An error breaks them all.
async fn apply(
    tx: &mut WriteTx,
    jobs: &[Job],
    laps: &mut Laps,
) -> Result<Vec<Answer>, TransferError> {
    let movements: Vec<&Movement> = jobs.iter().map(|job| &job.movement).collect();
    let mut known = Known::read(tx, &movements).await?;
    laps.lap(|times| &mut times.read);
    let mut decided = Vec::with_capacity(jobs.len());
    for job in jobs {
        let decision = decide(tx, &mut known, &job.movement, &job.clock)
            .instrument(job.span.clone())
            .await?;
        decided.push(decision);
    }
    laps.lap(|times| &mut times.decide);
    known.flush(tx).await?;
    laps.lap(|times| &mut times.write);
    Ok(decided
        .into_iter()
        .zip(jobs)
        .map(|(decision, job)| decision.answer(&known, &job.movement))
        .collect())
}

/// One movement in a transaction of its own, tried again after a deadlock or a serialization
/// failure.
async fn apply_alone(db: &Db, commits: &Commits, job: &Job) -> Answer {
    let mut attempt = 1;
    loop {
        match once_alone(db, commits, job).await {
            Ok(answer) => return answer,
            Err(error) if attempt < ALONE_ATTEMPTS && is_transient(&error) => attempt += 1,
            Err(error) => return answer_after_failure(db, &job.movement, error).await,
        }
    }
}

async fn once_alone(db: &Db, commits: &Commits, job: &Job) -> Result<Answer, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    db.lock_keys(&mut tx, &[job.movement.turn()]).await?;
    // Alone, its times count nowhere: the batch's stand for the writer's steady work.
    match apply(&mut tx, std::slice::from_ref(job), &mut Laps::start()).await {
        Ok(mut answers) => {
            commit(tx, commits).await?;
            Ok(answers.pop().unwrap_or_else(|| {
                Err(StoreError::Corrupt(format!("{} had no answer", job.movement)).into())
            }))
        }
        Err(error) => {
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
    fn answer(self, answer: Answer) {
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
