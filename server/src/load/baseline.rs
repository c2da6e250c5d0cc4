//! The bare database: the statements a movement writes in `ledger::transfers` (the debit
//! `UPDATE`, the credit `UPDATE`, the `INSERT` into `transfers`, rows in ascending id order), one
//! durable transaction per movement, from one connection, with no HTTP and none of the ledger's
//! reads (who may move what, the request id's first answer, suspensions). The same movements as
//! the clients draw, on a tree built the same way in a database of its own. What the database
//! alone allows, one movement at a time: the yardstick of the HTTP figures.

use std::time::{Duration, Instant};

use ledger::Backend;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{AnyConnection, Connection, Executor};

use crate::load::report::Tally;
use crate::load::tree::{Tree, USAGE_KEY_NAME};
use crate::load::workload::{Flow, Move};

/// Copied from `ledger::transfers` (debit, credit, record).
const DEBIT: &str = "UPDATE accounts SET balance = balance - $1 \
     WHERE id = $2 AND (balance >= $1 OR kind = 'platform') RETURNING balance";
const CREDIT: &str = "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND status = 'active' RETURNING balance";
const RECORD: &str = "INSERT INTO transfers (kind, from_account_id, to_account_id, amount, note, \
     actor_account_id, actor, idempotency_key, from_balance_after, to_balance_after, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Runs movements for `duration` on the database at `url`, which holds `tree`.
pub async fn run(
    url: &str,
    backend: Backend,
    tree: &Tree,
    duration: Duration,
) -> Result<(Tally, Duration), sqlx::Error> {
    let mut conn = AnyConnection::connect(url).await?;
    // As the ledger's writers begin: SQLite takes the write lock at once.
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut rng = StdRng::seed_from_u64(u64::MAX);
    let mut tally = Tally::default();
    let started = Instant::now();
    while started.elapsed() < duration {
        let movement = Move::draw(tree, &mut rng);
        let flow = movement.flow(tree);
        let actor = match movement {
            Move::Transfer { parent, .. } => format!("API key: {}", tree.parents[parent].key_name),
            Move::Usage { .. } => format!("API key: {USAGE_KEY_NAME}"),
        };
        let began = Instant::now();
        conn.execute(begin).await?;
        let moved = apply(&mut conn, &flow, &actor).await?;
        conn.execute(if moved { "COMMIT" } else { "ROLLBACK" })
            .await?;
        tally.count("rolled back: short".to_owned(), began.elapsed(), moved);
    }
    let elapsed = started.elapsed();
    conn.close().await?;
    Ok((tally, elapsed))
}

/// Both updates in ascending id order, then the ledger entry; false when the sender is short.
async fn apply(conn: &mut AnyConnection, flow: &Flow, actor: &str) -> Result<bool, sqlx::Error> {
    let debit = async |conn: &mut AnyConnection| -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(DEBIT)
            .bind(flow.amount)
            .bind(flow.from.0)
            .fetch_optional(conn)
            .await
    };
    let credit = async |conn: &mut AnyConnection| -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(CREDIT)
            .bind(flow.amount)
            .bind(flow.to.0)
            .fetch_optional(conn)
            .await
    };
    let (from_after, to_after) = if flow.from < flow.to {
        let Some(from_after) = debit(&mut *conn).await? else {
            return Ok(false);
        };
        (Some(from_after), credit(&mut *conn).await?)
    } else {
        let to_after = credit(&mut *conn).await?;
        (debit(&mut *conn).await?, to_after)
    };
    let (Some(from_after), Some(to_after)) = (from_after, to_after) else {
        return Ok(false);
    };
    sqlx::query(RECORD)
        .bind(flow.kind.as_str())
        .bind(flow.from.0)
        .bind(flow.to.0)
        .bind(flow.amount)
        .bind("load")
        .bind(flow.actor_account.0)
        .bind(actor)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(from_after)
        .bind(to_after)
        .bind(ledger::Clock::default().now())
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
