//! Transfers: the only way credits move, each one an immutable ledger entry.
//!
//! Guarantees, for every operation here:
//! - one database transaction moves both balances and records the entry, or nothing happens;
//! - balances change by conditional `UPDATE`s (`balance >= amount`), never by read-then-write, so
//!   concurrent transfers cannot overdraw an account;
//! - the two account rows are written in ascending id order, so concurrent transfers in opposite
//!   directions cannot deadlock on PostgreSQL;
//! - the unique index on (acting account, idempotency key) decides retries: the same key again returns
//!   the first transfer and moves nothing.
//!
//! Errors, in the order they are checked: `SubAccountNotFound` / `NotADirectReseller` (who), then
//! `KeyReused` (a key reused for a different transfer), then `NotEnoughCredits` / `SubAccountShort`
//! (the sender's balance) and `Suspended` (the receiver), whichever row comes first in id order.

use std::fmt;
use std::str::FromStr;

use sqlx::AnyConnection;

use crate::accounts::{AccountId, AccountKind, ReadError, find_account};
use crate::actor::{Actor, Operator};
use crate::db::is_unique_violation;
use crate::transfer_pages::TransferQuery;
use crate::values::{Credits, IdempotencyKey, Note};
use crate::{Ledger, StoreError};

/// The columns that make a [`TransferRow`], with a table prefix.
macro_rules! transfer_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "kind, ",
            $p,
            "from_account_id, ",
            $p,
            "to_account_id, ",
            $p,
            "amount, ",
            $p,
            "note, ",
            $p,
            "actor_account_id, ",
            $p,
            "actor, ",
            $p,
            "from_balance_after, ",
            $p,
            "to_balance_after, ",
            $p,
            "created_at"
        )
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// Parent to direct child.
    Grant,
    /// Direct child back to parent.
    Revoke,
    /// Platform to a direct reseller: new credits enter circulation.
    TopUp,
}

impl TransferKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Revoke => "revoke",
            Self::TopUp => "top_up",
        }
    }
}

impl FromStr for TransferKind {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "grant" => Ok(Self::Grant),
            "revoke" => Ok(Self::Revoke),
            "top_up" => Ok(Self::TopUp),
            other => Err(StoreError::Corrupt(format!(
                "unknown transfer kind {other:?}"
            ))),
        }
    }
}

/// A grant or revoke between the actor's account and one of its direct sub-accounts.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    pub sub_account: AccountId,
    pub credits: Credits,
    pub note: Note,
    pub key: IdempotencyKey,
}

/// New credits from the platform to a direct reseller.
#[derive(Debug, Clone)]
pub struct TopUp {
    pub direct_reseller: AccountId,
    pub credits: Credits,
    pub note: Note,
    /// The operator's reference for this top-up (e.g. the invoice number): the same key twice tops up
    /// once.
    pub key: IdempotencyKey,
}

/// One ledger entry, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: i64,
    pub kind: TransferKind,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: i64,
    pub note: String,
    pub actor_account: AccountId,
    pub actor: String,
    pub from_balance_after: i64,
    pub to_balance_after: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl Transfer {
    /// The balance `account` was left with by this transfer, if it took part in it.
    pub fn balance_after(&self, account: AccountId) -> Option<i64> {
        if account == self.from {
            Some(self.from_balance_after)
        } else if account == self.to {
            Some(self.to_balance_after)
        } else {
            None
        }
    }
}

/// A transfer as one account sees it in its list of transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTransfer {
    pub id: i64,
    pub kind: TransferKind,
    /// The name of the other side's account.
    pub counterparty: String,
    /// The other side's account.
    pub counterparty_id: AccountId,
    /// Positive when credits came in, negative when they went out.
    pub change: i64,
    /// This account's balance after the transfer.
    pub balance_after: i64,
    pub note: String,
    /// Who made the transfer.
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The target is missing or not a direct sub-account of the actor (deliberately the same error).
    #[error("no such sub-account")]
    SubAccountNotFound,
    #[error("top-ups go to direct resellers only")]
    NotADirectReseller,
    #[error("the idempotency key was already used for a different transfer")]
    KeyReused,
    #[error("the sender has {available} credits, {requested} requested")]
    NotEnoughCredits { available: i64, requested: i64 },
    #[error("sub-account {name} has {available} credits, {requested} to revoke")]
    SubAccountShort {
        name: String,
        available: i64,
        requested: i64,
    },
    #[error("{name} is suspended and cannot receive credits")]
    Suspended { name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TransferError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A movement fully resolved: who pays, who receives, and on whose behalf.
struct Movement<'a> {
    kind: TransferKind,
    from: AccountId,
    to: AccountId,
    credits: Credits,
    note: &'a Note,
    /// The account acting (the platform for an operator): idempotency keys are scoped to it.
    actor_account: AccountId,
    /// Who is recorded as having made the transfer.
    actor_name: &'a str,
    key: &'a IdempotencyKey,
}

impl Movement<'_> {
    /// The first transfer made with this key, if it is this same movement.
    fn replay(&self, first: Transfer) -> Result<Transfer, TransferError> {
        let same = first.kind == self.kind
            && first.from == self.from
            && first.to == self.to
            && first.amount == self.credits.get()
            && first.note == self.note.as_str();
        if same {
            Ok(first)
        } else {
            Err(TransferError::KeyReused)
        }
    }
}

impl fmt::Display for Movement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, credits, from, to) = (self.kind.as_str(), self.credits, self.from, self.to);
        write!(f, "{kind} of {credits} from {from} to {to}")
    }
}

impl Ledger {
    /// Moves credits from the actor's account to one of its direct sub-accounts.
    ///
    /// Errors: `SubAccountNotFound`, `KeyReused`, `NotEnoughCredits` (the actor's balance),
    /// `Suspended` (the sub-account), `Store`.
    pub async fn grant(
        &self,
        actor: &Actor,
        request: &TransferRequest,
    ) -> Result<Transfer, TransferError> {
        self.apply(Movement {
            kind: TransferKind::Grant,
            from: actor.account(),
            to: request.sub_account,
            credits: request.credits,
            note: &request.note,
            actor_account: actor.account(),
            actor_name: actor.name(),
            key: &request.key,
        })
        .await
    }

    /// Moves credits from one of the actor's direct sub-accounts back to the actor's account.
    /// Works on a suspended sub-account.
    ///
    /// Errors: `SubAccountNotFound`, `KeyReused`, `SubAccountShort` (the sub-account's balance),
    /// `Suspended` (the actor's own account), `Store`.
    pub async fn revoke(
        &self,
        actor: &Actor,
        request: &TransferRequest,
    ) -> Result<Transfer, TransferError> {
        self.apply(Movement {
            kind: TransferKind::Revoke,
            from: request.sub_account,
            to: actor.account(),
            credits: request.credits,
            note: &request.note,
            actor_account: actor.account(),
            actor_name: actor.name(),
            key: &request.key,
        })
        .await
    }

    /// Issues new credits from the platform to a direct reseller, in the operator's name.
    ///
    /// Errors: `NotADirectReseller`, `KeyReused`, `Suspended`, `Store`.
    pub async fn top_up(
        &self,
        operator: &Operator,
        top_up: &TopUp,
    ) -> Result<Transfer, TransferError> {
        self.apply(Movement {
            kind: TransferKind::TopUp,
            from: self.platform_id,
            to: top_up.direct_reseller,
            credits: top_up.credits,
            note: &top_up.note,
            actor_account: self.platform_id,
            actor_name: operator.name(),
            key: &top_up.key,
        })
        .await
    }

    /// The transfers of `account` (the actor's own when `None`), newest first: at most `limit` (and
    /// at most [`crate::MAX_PAGE_ROWS`]), all older than transfer `before` when set (none, when no
    /// transfer has that id). The actor may read its own account and every account below it. One
    /// page of [`Ledger::transfer_page`], which reads the account's own indexes: a single OR over
    /// both sides would sort all of a busy account's transfers for every page.
    ///
    /// Errors: `NotVisible` (missing, or outside the actor's subtree).
    pub async fn account_transfers(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AccountTransfer>, ReadError> {
        let cursor = match before {
            Some(before) => Some(self.older_than(before).await?),
            None => None,
        };
        let query = TransferQuery {
            cursor,
            ..TransferQuery::of(account, limit)
        };
        Ok(self.transfer_page(actor, &query).await?.rows)
    }

    #[tracing::instrument(name = "transfer", skip_all, fields(movement = %movement, actor = movement.actor_name))]
    async fn apply(&self, movement: Movement<'_>) -> Result<Transfer, TransferError> {
        let mut tx = self.db.begin_write().await?;
        // Who first: an account outside the actor's reach gets the same answer with any key.
        check_parties(&mut tx, &movement).await?;
        if let Some(first) = find_by_key(&mut tx, movement.actor_account, movement.key).await? {
            return movement.replay(first);
        }
        let (from_balance_after, to_balance_after) = move_balances(&mut tx, &movement).await?;
        let balances_after = (from_balance_after, to_balance_after);
        match record(&mut tx, &movement, balances_after, self.clock.now()).await {
            Ok(row) => {
                let transfer = Transfer::try_from(row)?;
                tx.commit().await?;
                tracing::info!(id = transfer.id, "transfer recorded");
                Ok(transfer)
            }
            // A concurrent request with the same key committed first (PostgreSQL; SQLite serialises
            // writers): undo ours and answer with theirs.
            Err(error) if is_unique_violation(&error) => {
                tx.rollback().await?;
                let mut conn = self.db.pool().acquire().await?;
                let first = find_by_key(&mut conn, movement.actor_account, movement.key)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("idempotency key vanished".into()))?;
                movement.replay(first)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Checks who may move what. Parents and kinds never change, so reading them needs no lock.
async fn check_parties(
    conn: &mut AnyConnection,
    movement: &Movement<'_>,
) -> Result<(), TransferError> {
    let (sub_account, parent) = match movement.kind {
        TransferKind::Grant => (movement.to, movement.from),
        TransferKind::Revoke => (movement.from, movement.to),
        TransferKind::TopUp => {
            return match find_account(&mut *conn, movement.to).await? {
                Some(account) if account.kind == AccountKind::DirectReseller => Ok(()),
                _ => Err(TransferError::NotADirectReseller),
            };
        }
    };
    match find_account(&mut *conn, sub_account).await? {
        Some(account) if account.parent_id == Some(parent) => Ok(()),
        _ => Err(TransferError::SubAccountNotFound),
    }
}

/// Debits the sender (never below zero, except the platform) and credits the receiver (only if
/// active), in ascending id order. Returns (sender's, receiver's) balance after.
async fn move_balances(
    conn: &mut AnyConnection,
    movement: &Movement<'_>,
) -> Result<(i64, i64), TransferError> {
    if movement.from < movement.to {
        let from_after = debit(conn, movement).await?;
        let to_after = credit(conn, movement).await?;
        Ok((from_after, to_after))
    } else {
        let to_after = credit(conn, movement).await?;
        let from_after = debit(conn, movement).await?;
        Ok((from_after, to_after))
    }
}

async fn debit(conn: &mut AnyConnection, movement: &Movement<'_>) -> Result<i64, TransferError> {
    let amount = movement.credits.get();
    let balance: Option<i64> = sqlx::query_scalar(
        "UPDATE accounts SET balance = balance - $1 \
         WHERE id = $2 AND (balance >= $1 OR kind = 'platform') RETURNING balance",
    )
    .bind(amount)
    .bind(movement.from.0)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(balance) = balance {
        return Ok(balance);
    }
    let (name, available) = name_and_balance(conn, movement.from).await?;
    Err(match movement.kind {
        TransferKind::Revoke => TransferError::SubAccountShort {
            name,
            available,
            requested: amount,
        },
        TransferKind::Grant | TransferKind::TopUp => TransferError::NotEnoughCredits {
            available,
            requested: amount,
        },
    })
}

async fn credit(conn: &mut AnyConnection, movement: &Movement<'_>) -> Result<i64, TransferError> {
    let balance: Option<i64> = sqlx::query_scalar(
        "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND status = 'active' RETURNING balance",
    )
    .bind(movement.credits.get())
    .bind(movement.to.0)
    .fetch_optional(&mut *conn)
    .await?;
    match balance {
        Some(balance) => Ok(balance),
        None => {
            let (name, _) = name_and_balance(conn, movement.to).await?;
            Err(TransferError::Suspended { name })
        }
    }
}

async fn name_and_balance(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<(String, i64), TransferError> {
    Ok(
        sqlx::query_as("SELECT name, balance FROM accounts WHERE id = $1")
            .bind(id.0)
            .fetch_one(conn)
            .await?,
    )
}

async fn record(
    conn: &mut AnyConnection,
    movement: &Movement<'_>,
    (from_balance_after, to_balance_after): (i64, i64),
    now: i64,
) -> Result<TransferRow, sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO transfers (kind, from_account_id, to_account_id, amount, note, actor_account_id,",
        " actor, idempotency_key, from_balance_after, to_balance_after, created_at)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
        transfer_columns!("")
    ))
    .bind(movement.kind.as_str())
    .bind(movement.from.0)
    .bind(movement.to.0)
    .bind(movement.credits.get())
    .bind(movement.note.as_str())
    .bind(movement.actor_account.0)
    .bind(movement.actor_name)
    .bind(movement.key.as_str())
    .bind(from_balance_after)
    .bind(to_balance_after)
    .bind(now)
    .fetch_one(conn)
    .await
}

async fn find_by_key(
    conn: &mut AnyConnection,
    actor_account: AccountId,
    key: &IdempotencyKey,
) -> Result<Option<Transfer>, StoreError> {
    let row: Option<TransferRow> = sqlx::query_as(concat!(
        "SELECT ",
        transfer_columns!(""),
        " FROM transfers WHERE actor_account_id = $1 AND idempotency_key = $2"
    ))
    .bind(actor_account.0)
    .bind(key.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(Transfer::try_from).transpose()
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    id: i64,
    kind: String,
    from_account_id: i64,
    to_account_id: i64,
    amount: i64,
    note: String,
    actor_account_id: i64,
    actor: String,
    from_balance_after: i64,
    to_balance_after: i64,
    created_at: i64,
}

impl TryFrom<TransferRow> for Transfer {
    type Error = StoreError;

    fn try_from(row: TransferRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            kind: row.kind.parse()?,
            from: AccountId(row.from_account_id),
            to: AccountId(row.to_account_id),
            amount: row.amount,
            note: row.note,
            actor_account: AccountId(row.actor_account_id),
            actor: row.actor,
            from_balance_after: row.from_balance_after,
            to_balance_after: row.to_balance_after,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountTransferRow {
    #[sqlx(flatten)]
    transfer: TransferRow,
    from_name: String,
    to_name: String,
}

impl AccountTransferRow {
    pub(crate) fn seen_from(self, account: AccountId) -> Result<AccountTransfer, StoreError> {
        let transfer = Transfer::try_from(self.transfer)?;
        let outgoing = transfer.from == account;
        Ok(AccountTransfer {
            id: transfer.id,
            kind: transfer.kind,
            counterparty: if outgoing {
                self.to_name
            } else {
                self.from_name
            },
            counterparty_id: if outgoing { transfer.to } else { transfer.from },
            change: if outgoing {
                -transfer.amount
            } else {
                transfer.amount
            },
            balance_after: if outgoing {
                transfer.from_balance_after
            } else {
                transfer.to_balance_after
            },
            note: transfer.note,
            actor: transfer.actor,
            created_at: transfer.created_at,
        })
    }
}
