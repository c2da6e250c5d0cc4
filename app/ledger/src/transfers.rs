//! Transfers: the only way credits move, each one an immutable ledger entry.
//!
//! Every movement is applied by the ledger's writer, in a batch with the movements that wait at the
//! same moment ([`crate::group_commit`]). Two statements per batch read every account of its
//! movements, the suspensions above its actors and its request ids' first answers ([`Known`]); a
//! movement that moves then takes two more: move both balances, record the entry. Guarantees, for
//! every operation here:
//! - one database transaction moves both balances and records the entry, or nothing happens;
//! - the checks read the accounts with the write lock held (SQLite's, or on PostgreSQL every row of
//!   the batch locked), and the balances then change by one `UPDATE` that keeps its own conditions
//!   (`balance >= amount`, receiver active), so concurrent transfers cannot overdraw an account;
//! - a batch locks its account rows in one statement, in ascending id order, so concurrent batches
//!   moving credits in opposite directions cannot deadlock on PostgreSQL;
//! - a request id (idempotency key, scoped to the acting account) has one answer, the first one: the
//!   transfer it made, or the refusal it got for lack of credits or a suspension. Every retry, on
//!   any server, gets that answer again and moves nothing; the unique index on (acting account,
//!   idempotency key) stands behind it;
//! - no one under a suspended account moves credits, checked in the transfer's own transaction.
//!
//! Errors, in the order they are checked: `SubAccountNotFound` / `NotADirectReseller` (who), then
//! `KeyReused` (a key reused for a different transfer) or the first answer's refusal, then
//! `OwnAccountSuspended` (the actor's account or one above it), then `NotEnoughCredits` /
//! `SubAccountShort` (the sender's balance) and `Suspended` (the receiver), whichever row comes first
//! in id order.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use sqlx::AnyConnection;

use crate::accounts::{AccountId, AccountKind, AccountStatus, ReadError};
use crate::actor::{Actor, Operator};
use crate::alerts::{self, Watched};
use crate::clock::Clock;
use crate::db::{Backend, Db, WriteTx, is_unique_violation};
use crate::transfer_pages::TransferQuery;
use crate::values::{Credits, IdempotencyKey, Note};
use crate::{Ledger, StoreError};

mod known;
pub(crate) use known::Known;

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
    /// Any account back to the platform, for messages it sent: credits leave circulation.
    Usage,
}

impl TransferKind {
    /// Every type, as the schema's `CHECK` lists them: an account's history is read one type at a
    /// time (`transfer_pages`), so a type left out here would be missing from it.
    pub const ALL: [Self; 4] = [Self::Grant, Self::Revoke, Self::TopUp, Self::Usage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Revoke => "revoke",
            Self::TopUp => "top_up",
            Self::Usage => "usage",
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
            "usage" => Ok(Self::Usage),
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

/// The answer to a movement: its transfer, and whether this call only repeated the answer of an
/// earlier call with the same idempotency key (`replayed`: nothing moved this time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub transfer: Transfer,
    pub replayed: bool,
}

impl Deref for Applied {
    type Target = Transfer;

    fn deref(&self) -> &Transfer {
        &self.transfer
    }
}

/// Credits an account spent on messages, taken back by the platform.
#[derive(Debug, Clone)]
pub struct UsageDebit {
    pub account: AccountId,
    pub credits: Credits,
    /// The gateway's reference for what was sent; kept as the transfer's note.
    pub reference: Note,
    pub key: IdempotencyKey,
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

/// A transfer as someone in its tree sees it: the balances after are those of the sides they may
/// read (`None` for the other side, e.g. the platform's for a top-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSeen {
    pub transfer: Transfer,
    pub from_balance_after: Option<i64>,
    pub to_balance_after: Option<i64>,
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
    #[error("this request id was already used for a different transfer")]
    KeyReused,
    /// The actor's account, or an account above it, is suspended.
    #[error("the account is suspended")]
    OwnAccountSuspended,
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
    /// Usage is recorded by the platform only (operator keys and the command line).
    #[error("only the platform records usage")]
    UsageNotAllowed,
    /// The account to charge is missing (or is the platform itself).
    #[error("no such account")]
    AccountNotFound,
    #[error("{name} has {available} credits; {requested} cannot be used")]
    UsageShort {
        name: String,
        available: i64,
        requested: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TransferError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// A movement fully resolved: who pays, who receives, and on whose behalf. Owned, so that it can
/// wait in the writer's queue.
pub(crate) struct Movement {
    pub(crate) kind: TransferKind,
    pub(crate) from: AccountId,
    pub(crate) to: AccountId,
    pub(crate) credits: Credits,
    pub(crate) note: Note,
    /// The account acting (the platform for an operator): idempotency keys are scoped to it.
    pub(crate) actor_account: AccountId,
    /// Who is recorded as having made the transfer.
    pub(crate) actor_name: String,
    pub(crate) key: IdempotencyKey,
}

impl Movement {
    /// The first answer given to this request id, if it was given to this same movement.
    fn replay(&self, first: FirstAnswer) -> Result<Applied, TransferError> {
        let asked = |kind, from, to, amount, note: &str| {
            kind == self.kind
                && from == self.from
                && to == self.to
                && amount == self.credits.get()
                && note == self.note.as_str()
        };
        match first {
            FirstAnswer::Moved(transfer) => {
                if asked(
                    transfer.kind,
                    transfer.from,
                    transfer.to,
                    transfer.amount,
                    &transfer.note,
                ) {
                    Ok(Applied {
                        transfer,
                        replayed: true,
                    })
                } else {
                    Err(TransferError::KeyReused)
                }
            }
            FirstAnswer::Refused(refused) => {
                let (from, to) = (
                    AccountId(refused.from_account_id),
                    AccountId(refused.to_account_id),
                );
                let kind = refused.kind.parse()?;
                if asked(kind, from, to, refused.amount, &refused.note) {
                    Err(refused.into_error()?)
                } else {
                    Err(TransferError::KeyReused)
                }
            }
        }
    }

    /// Names this movement's request id, for the attempts with it to take turns on, on every
    /// server, so that each finds the answer of the one before. Without turns, PostgreSQL's READ
    /// COMMITTED lets two attempts miss each other's answer: the second waits on the first's row
    /// lock, then refuses for lack of the credits the first one has just moved.
    pub(crate) fn turn(&self) -> String {
        format!("request id {} {}", self.actor_account, self.key.as_str())
    }
}

impl fmt::Display for Movement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, credits, from, to) = (self.kind.as_str(), self.credits, self.from, self.to);
        write!(f, "{kind} of {credits} from {from} to {to}")
    }
}

impl Ledger {
    /// Moves credits from the actor's account to one of its direct sub-accounts.
    ///
    /// Errors: `SubAccountNotFound`, `KeyReused`, `OwnAccountSuspended`, `NotEnoughCredits` (the
    /// actor's balance), `Suspended` (the sub-account), `Store`.
    pub async fn grant(
        &self,
        actor: &Actor,
        request: &TransferRequest,
    ) -> Result<Applied, TransferError> {
        self.apply(Movement {
            kind: TransferKind::Grant,
            from: actor.account(),
            to: request.sub_account,
            credits: request.credits,
            note: request.note.clone(),
            actor_account: actor.account(),
            actor_name: actor.name().to_owned(),
            key: request.key.clone(),
        })
        .await
    }

    /// Moves credits from one of the actor's direct sub-accounts back to the actor's account.
    /// Works on a suspended sub-account.
    ///
    /// Errors: `SubAccountNotFound`, `KeyReused`, `OwnAccountSuspended` (the actor's account or one
    /// above it), `SubAccountShort` (the sub-account's balance), `Store`.
    pub async fn revoke(
        &self,
        actor: &Actor,
        request: &TransferRequest,
    ) -> Result<Applied, TransferError> {
        self.apply(Movement {
            kind: TransferKind::Revoke,
            from: request.sub_account,
            to: actor.account(),
            credits: request.credits,
            note: request.note.clone(),
            actor_account: actor.account(),
            actor_name: actor.name().to_owned(),
            key: request.key.clone(),
        })
        .await
    }

    /// Issues new credits from the platform to a direct reseller, in the operator's name. Run again
    /// with the same key (the operator's reference), it answers `AlreadyApplied` with the first
    /// top-up and issues nothing.
    ///
    /// Errors: `NotADirectReseller`, `KeyReused`, `Suspended`, `Store`.
    pub async fn top_up(
        &self,
        operator: &Operator,
        top_up: &TopUp,
    ) -> Result<Applied, TransferError> {
        self.apply(Movement {
            kind: TransferKind::TopUp,
            from: self.platform_id,
            to: top_up.direct_reseller,
            credits: top_up.credits,
            note: top_up.note.clone(),
            actor_account: self.platform_id,
            actor_name: operator.name().to_owned(),
            key: top_up.key.clone(),
        })
        .await
    }

    /// Takes credits an account spent back to the platform, never below zero. Only the platform
    /// acts here: an operator key, or the command line through [`Ledger::platform_actor`].
    ///
    /// Errors: `UsageNotAllowed` (any other actor), `AccountNotFound`, `KeyReused`, `UsageShort`,
    /// `Store`.
    pub async fn usage(&self, actor: &Actor, debit: &UsageDebit) -> Result<Applied, TransferError> {
        if actor.account() != self.platform_id {
            return Err(TransferError::UsageNotAllowed);
        }
        self.apply(Movement {
            kind: TransferKind::Usage,
            from: debit.account,
            to: self.platform_id,
            credits: debit.credits,
            note: debit.reference.clone(),
            actor_account: self.platform_id,
            actor_name: actor.name().to_owned(),
            key: debit.key.clone(),
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

    /// One transfer, if it touches the actor's account or any account below it. Balances after
    /// the move are shown for the sides the actor may read only.
    ///
    /// Errors: `NotVisible` (missing, or touching no account in the actor's subtree).
    pub async fn transfer(&self, actor: &Actor, id: i64) -> Result<TransferSeen, ReadError> {
        let row: Option<TransferRow> = sqlx::query_as(concat!(
            "SELECT ",
            transfer_columns!(""),
            " FROM transfers WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        let transfer = Transfer::try_from(row.ok_or(ReadError::NotVisible)?)?;
        let from_visible = self.is_visible_to(actor, transfer.from).await?;
        let to_visible = self.is_visible_to(actor, transfer.to).await?;
        if !from_visible && !to_visible {
            return Err(ReadError::NotVisible);
        }
        Ok(TransferSeen {
            from_balance_after: from_visible.then_some(transfer.from_balance_after),
            to_balance_after: to_visible.then_some(transfer.to_balance_after),
            transfer,
        })
    }

    /// Applies `movement` in the writer's next batch (see [`crate::group_commit`]).
    #[tracing::instrument(name = "transfer", skip_all, fields(movement = %movement, actor = movement.actor_name.as_str(), batch = tracing::field::Empty))]
    async fn apply(&self, movement: Movement) -> Result<Applied, TransferError> {
        self.writer.submit(movement, self.clock.clone()).await
    }
}

/// What deciding a movement came to.
pub(crate) enum Decided {
    /// Its answer, which holds once the transaction commits.
    Now(Result<Applied, TransferError>),
    /// It moves, in the batch's writes that [`Known::flush`] makes together; its answer is its
    /// transfer as the flush recorded it ([`Known::recorded`]).
    Deferred,
}

impl Decided {
    /// The movement's answer, once what was deferred is written.
    pub(crate) fn answer(
        self,
        known: &Known,
        movement: &Movement,
    ) -> Result<Applied, TransferError> {
        match self {
            Self::Now(answer) => answer,
            Self::Deferred => Ok(Applied {
                transfer: known.recorded(movement)?,
                replayed: false,
            }),
        }
    }
}

/// Decides one movement inside `tx`, which holds the movement's request-id turn
/// ([`Movement::turn`]). The answer holds once `tx` commits.
///
/// Every check is made in memory, against the accounts and answers `known` read for the batch as
/// the movements before this one left them, so a refusal writes nothing but its kept answer: a
/// refusal for credits or a suspension is kept as the request id's answer in the same transaction,
/// so that a retry after the balances change cannot move credits for an id already refused. A
/// movement earlier in `tx` with the same request id is this one's first answer.
///
/// A movement that sets nothing off (no webhook event, no alert, no replenish) is deferred: the
/// batch writes the balances and entries of all such movements in two statements. A movement that
/// sets something off is written at once, with everything deferred before it, so that what it sets
/// off finds the database as the batch has left it.
///
/// Errors: the transaction cannot go on (a statement failed, or what it read was not valid), and
/// none of it may commit; its movements are then applied again, each alone. No savepoints: they
/// would cost two statements per movement, and a failure is rare (on PostgreSQL a deadlock with
/// another server, which only a replenish, locking its payer late, can still meet).
pub(crate) async fn decide(
    tx: &mut WriteTx,
    known: &mut Known,
    movement: &Movement,
    clock: &Clock,
) -> Result<Decided, TransferError> {
    let parties = known.parties(movement);
    // Who first: an account outside the actor's reach gets the same answer with any key.
    if let Err(refusal) = parties.check_who(movement) {
        return Ok(Decided::Now(Err(refusal)));
    }
    if known.is_deferred(movement) {
        // A second movement with the same request id: the first's transfer, with its id.
        known.flush(tx).await?;
    }
    if let Some(first) = known.first_answer(movement) {
        return Ok(Decided::Now(movement.replay(first)));
    }
    match parties.check_move(movement) {
        Ok(allowed) if allowed.sets_off_nothing(movement) => {
            known.defer(movement, allowed, clock.now());
            Ok(Decided::Deferred)
        }
        Ok(allowed) => {
            let moved = known.move_now(tx, movement, allowed, clock.now()).await?;
            let transfer = moved.transfer.clone();
            if alerts::after_move(tx, movement.kind, moved, clock).await? {
                // A replenish moved balances through statements of its own.
                known.read_accounts(tx).await?;
            }
            Ok(Decided::Now(Ok(Applied {
                transfer,
                replayed: false,
            })))
        }
        Err(TransferError::Store(error)) => Err(error.into()),
        Err(refusal) => {
            if let Some(kept) = KeptRefusal::of(&refusal) {
                insert_refusal(tx, movement, &kept, clock.now()).await?;
                known.learn_refusal(movement, kept.row(movement));
            }
            Ok(Decided::Now(Err(refusal)))
        }
    }
}

/// The answer to a movement whose own transaction failed with `error`: if another attempt with the
/// same key recorded an answer first (the unique index has the last word, should turns ever fail),
/// that one.
pub(crate) async fn answer_after_failure(
    db: &Db,
    movement: &Movement,
    error: sqlx::Error,
) -> Result<Applied, TransferError> {
    if !is_unique_violation(&error) {
        return Err(error.into());
    }
    let mut conn = db.pool().acquire().await?;
    let first = find_first_answer(&mut conn, movement)
        .await?
        .ok_or_else(|| StoreError::Corrupt("idempotency key vanished".into()))?;
    movement.replay(first)
}

/// One account of a movement as it stands before it: its kind and status, its balance with the
/// rules that watch it, and whether it has a webhook to tell.
#[derive(Clone, sqlx::FromRow)]
struct Party {
    kind: String,
    status: String,
    webhooks: i64,
    #[sqlx(flatten)]
    watched: Watched,
}

/// The sender and the receiver of a movement (`None` where no such account exists), as [`Known`]
/// has them.
pub(crate) struct Parties {
    from: Option<Party>,
    to: Option<Party>,
    /// The actor's account or one above it is suspended.
    actor_suspended: bool,
}

impl Parties {
    /// Who may move what: the checks that depend on the request alone.
    fn check_who(&self, movement: &Movement) -> Result<(), TransferError> {
        let kind_of = |party: &Option<Party>| -> Result<Option<AccountKind>, StoreError> {
            party.as_ref().map(|party| party.kind.parse()).transpose()
        };
        let (sub_account, parent) = match movement.kind {
            TransferKind::Grant => (&self.to, movement.from),
            TransferKind::Revoke => (&self.from, movement.to),
            TransferKind::TopUp => {
                return match kind_of(&self.to)? {
                    Some(AccountKind::DirectReseller) => Ok(()),
                    _ => Err(TransferError::NotADirectReseller),
                };
            }
            TransferKind::Usage => {
                return match kind_of(&self.from)? {
                    Some(kind) if kind != AccountKind::Platform => Ok(()),
                    _ => Err(TransferError::AccountNotFound),
                };
            }
        };
        match sub_account {
            Some(party) if party.watched.parent_id() == Some(parent) => Ok(()),
            _ => Err(TransferError::SubAccountNotFound),
        }
    }

    /// Whether the accounts allow the move: no suspension reaches the actor, then the sender's
    /// balance (never below zero, except the platform's) and the receiver's status (active), in
    /// ascending id order.
    ///
    /// The receiver's line needs no check of its own: it is the actor itself, or one of its direct
    /// sub-accounts below the same line, or (a top-up) a direct reseller below the platform. A
    /// suspension that commits while the movement runs is ordered after it, which read the line
    /// before.
    pub(crate) fn check_move(self, movement: &Movement) -> Result<Allowed, TransferError> {
        if self.actor_suspended {
            return Err(TransferError::OwnAccountSuspended);
        }
        let (Some(from), Some(to)) = (self.from, self.to) else {
            return Err(StoreError::Corrupt("an account of a movement vanished".into()).into());
        };
        let amount = movement.credits.get();
        let sender = || {
            let (name, available) = (from.watched.name().to_owned(), from.watched.balance);
            if available >= amount || from.kind == AccountKind::Platform.as_str() {
                return Ok(());
            }
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
                TransferKind::Usage => TransferError::UsageShort {
                    name,
                    available,
                    requested: amount,
                },
            })
        };
        let receiver = || match to.status.parse()? {
            AccountStatus::Active => Ok(()),
            AccountStatus::Suspended => Err(TransferError::Suspended {
                name: to.watched.name().to_owned(),
            }),
        };
        if movement.from < movement.to {
            sender().and_then(|()| receiver())?;
        } else {
            receiver().and_then(|()| sender())?;
        }
        Ok(Allowed { from, to })
    }
}

/// The two accounts of a movement that [`Parties::check_move`] allowed.
pub(crate) struct Allowed {
    from: Party,
    to: Party,
}

impl Allowed {
    fn sets_off_nothing(&self, movement: &Movement) -> bool {
        alerts::sets_off_nothing(
            movement.kind,
            &self.from.watched,
            movement.credits.get(),
            self.to.webhooks > 0,
        )
    }
}

/// A move made: its entry, the sender as it was left (with the rules watching it), and whether
/// the receiver has a webhook to tell.
pub(crate) struct Moved {
    pub(crate) transfer: Transfer,
    pub(crate) sender: Watched,
    pub(crate) receiver_has_webhook: bool,
}

/// What a batch's entries do to one account: the credits it gains (negative when it pays) and its
/// newest entry.
pub(crate) struct AccountChange {
    pub(crate) account: i64,
    pub(crate) credits: i64,
    pub(crate) newest_transfer: i64,
}

/// Moves every balance the batch changes and marks each account with its newest entry, in one
/// statement: a row is written once per batch (on PostgreSQL one new version of it, in every index
/// of `accounts`, not one for the balance and another for the mark). The statement keeps its own
/// condition: no balance but the platform's goes below zero, whatever the checks above it said (the
/// schema's CHECK says it once more).
async fn move_balances(tx: &mut WriteTx, changes: &[AccountChange]) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let statement = balance_move(tx.backend(), changes.len());
    let mut query = sqlx::query(&statement).persistent(false);
    for change in changes {
        query = query
            .bind(change.account)
            .bind(change.credits)
            .bind(change.newest_transfer);
    }
    let moved = query.execute(&mut **tx).await?;
    if moved.rows_affected() != changes.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} of {} balances moved",
            moved.rows_affected(),
            changes.len()
        )));
    }
    Ok(())
}

/// The statement [`move_balances`] runs for `count` accounts: bind each account's id, the credits
/// it gains and its newest entry, account by account.
fn balance_move(backend: Backend, count: usize) -> String {
    match backend {
        // The changes as a table joined to `accounts` by key, so that each parameter appears once
        // (see `Backend::parameter`).
        Backend::Sqlite => {
            let rows = vec!["(?, ?, ?)"; count].join(", ");
            format!(
                "WITH changes (id, credits, newest) AS (VALUES {rows}) \
                 UPDATE accounts SET balance = balance + changes.credits, \
                 last_transfer_id = changes.newest \
                 FROM changes WHERE accounts.id = changes.id \
                 AND (accounts.balance + changes.credits >= 0 OR accounts.kind = 'platform')"
            )
        }
        // Joined so, PostgreSQL reads a table of a few thousand accounts whole; the ids listed are
        // an index condition whatever the size.
        Backend::Postgres => {
            let case = |column: usize| {
                let whens: Vec<String> = (0..count)
                    .map(|n| {
                        format!(
                            "WHEN ${} THEN CAST(${} AS BIGINT)",
                            3 * n + 1,
                            3 * n + column
                        )
                    })
                    .collect();
                format!("CASE id {} END", whens.join(" "))
            };
            let ids: Vec<String> = (0..count).map(|n| format!("${}", 3 * n + 1)).collect();
            let (credits, newest) = (case(2), case(3));
            format!(
                "UPDATE accounts SET balance = balance + {credits}, last_transfer_id = {newest} \
                 WHERE id IN ({}) AND (balance + {credits} >= 0 OR kind = 'platform')",
                ids.join(", ")
            )
        }
    }
}

#[cfg(any(test, feature = "testing"))]
impl Ledger {
    /// The database's plan for a batch's balance move over `accounts`, for the tests: it must reach
    /// each account by its key, however many accounts there are.
    pub async fn balance_move_plan(&self, accounts: &[AccountId]) -> Result<String, StoreError> {
        let statement = crate::paging::Statement::of_ints(
            balance_move(self.backend(), accounts.len()),
            accounts.iter().flat_map(|account| [account.0, 0, 0]),
        );
        let mut conn = self.db.pool().acquire().await?;
        Ok(crate::paging::explain(&mut conn, self.backend(), &statement).await?)
    }
}

/// Records `transfers` (their ids not yet known) with their request ids, in one statement, in the
/// order given: ids ascend in that order, as the ledger's replay in `verify` reads them. Returns the
/// ids, in the same order.
async fn record_entries(
    tx: &mut WriteTx,
    transfers: &[(Transfer, String)],
) -> Result<Vec<i64>, StoreError> {
    const COLUMNS: usize = 11;
    let backend = tx.backend();
    let rows: Vec<String> = (0..transfers.len())
        .map(|n| format!("({})", backend.parameters(n * COLUMNS + 1, COLUMNS)))
        .collect();
    let statement = format!(
        "INSERT INTO transfers (kind, from_account_id, to_account_id, amount, note, actor_account_id, \
         actor, idempotency_key, from_balance_after, to_balance_after, created_at) \
         VALUES {} RETURNING id, actor_account_id, idempotency_key",
        rows.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64, i64, String)>(&statement).persistent(false);
    for (transfer, key) in transfers {
        query = query
            .bind(transfer.kind.as_str())
            .bind(transfer.from.0)
            .bind(transfer.to.0)
            .bind(transfer.amount)
            .bind(transfer.note.as_str())
            .bind(transfer.actor_account.0)
            .bind(transfer.actor.as_str())
            .bind(key.as_str())
            .bind(transfer.from_balance_after)
            .bind(transfer.to_balance_after)
            .bind(transfer.created_at);
    }
    let recorded = query.fetch_all(&mut **tx).await?;
    // Matched by request id, which is unique, rather than trusting the order of RETURNING.
    let ids: std::collections::HashMap<(i64, &str), i64> = recorded
        .iter()
        .map(|(id, actor, key)| ((*actor, key.as_str()), *id))
        .collect();
    transfers
        .iter()
        .map(|(transfer, key)| {
            ids.get(&(transfer.actor_account.0, key.as_str()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("entry {key:?} not recorded")))
        })
        .collect()
}

/// The first answer given to the movement's request id: the transfer it made, or the refusal kept
/// (a request id has one or the other, never both). Most ids have none, which one statement over
/// both tables tells; only an answer found is then read in full.
async fn find_first_answer(
    conn: &mut AnyConnection,
    movement: &Movement,
) -> Result<Option<FirstAnswer>, StoreError> {
    let (actor_account, key) = (movement.actor_account, movement.key.as_str());
    let found: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT id FROM transfers WHERE actor_account_id = $1 AND idempotency_key = $2 \
         UNION ALL SELECT NULL FROM refused_requests WHERE actor_account_id = $1 AND idempotency_key = $2",
    )
    .bind(actor_account.0)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match found {
        None => None,
        Some(Some(id)) => Some(FirstAnswer::Moved(read_transfer(conn, id).await?)),
        Some(None) => Some(FirstAnswer::Refused(
            read_refusal(conn, actor_account, key).await?,
        )),
    })
}

async fn read_transfer(conn: &mut AnyConnection, id: i64) -> Result<Transfer, StoreError> {
    let row: TransferRow = sqlx::query_as(concat!(
        "SELECT ",
        transfer_columns!(""),
        " FROM transfers WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    row.try_into()
}

async fn read_refusal(
    conn: &mut AnyConnection,
    actor_account: AccountId,
    key: &str,
) -> Result<RefusedRow, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, from_account_id, to_account_id, amount, note, reason, available, name \
         FROM refused_requests WHERE actor_account_id = $1 AND idempotency_key = $2",
    )
    .bind(actor_account.0)
    .bind(key)
    .fetch_one(conn)
    .await?)
}

async fn insert_refusal(
    conn: &mut AnyConnection,
    movement: &Movement,
    refusal: &KeptRefusal<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refused_requests (actor_account_id, idempotency_key, kind, from_account_id, \
         to_account_id, amount, note, reason, available, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(movement.actor_account.0)
    .bind(movement.key.as_str())
    .bind(movement.kind.as_str())
    .bind(movement.from.0)
    .bind(movement.to.0)
    .bind(movement.credits.get())
    .bind(movement.note.as_str())
    .bind(refusal.reason)
    .bind(refusal.available)
    .bind(refusal.name)
    .bind(now)
    .execute(conn)
    .await
    .map(drop)
}

/// The first answer a request id got.
#[derive(Clone)]
enum FirstAnswer {
    Moved(Transfer),
    Refused(RefusedRow),
}

/// A refusal that depends on the state of the accounts (a balance, a suspension) rather than on the
/// request alone, in the words kept for its retries.
struct KeptRefusal<'a> {
    reason: &'static str,
    available: Option<i64>,
    name: Option<&'a str>,
}

impl<'a> KeptRefusal<'a> {
    /// The refusal to keep for `error`; none for errors that every retry would meet again anyway,
    /// or that leave the request undecided.
    fn of(error: &'a TransferError) -> Option<Self> {
        let (reason, available, name) = match error {
            TransferError::NotEnoughCredits { available, .. } => {
                ("not_enough_credits", Some(*available), None)
            }
            TransferError::SubAccountShort {
                name, available, ..
            } => ("sub_account_short", Some(*available), Some(name.as_str())),
            TransferError::UsageShort {
                name, available, ..
            } => ("usage_short", Some(*available), Some(name.as_str())),
            TransferError::Suspended { name } => ("suspended", None, Some(name.as_str())),
            TransferError::OwnAccountSuspended => ("own_account_suspended", None, None),
            TransferError::SubAccountNotFound
            | TransferError::NotADirectReseller
            | TransferError::AccountNotFound
            | TransferError::UsageNotAllowed
            | TransferError::KeyReused
            | TransferError::Store(_) => return None,
        };
        Some(Self {
            reason,
            available,
            name,
        })
    }

    /// The refusal as [`insert_refusal`] keeps it for `movement`.
    fn row(&self, movement: &Movement) -> RefusedRow {
        RefusedRow {
            kind: movement.kind.as_str().to_owned(),
            from_account_id: movement.from.0,
            to_account_id: movement.to.0,
            amount: movement.credits.get(),
            note: movement.note.as_str().to_owned(),
            reason: self.reason.to_owned(),
            available: self.available,
            name: self.name.map(str::to_owned),
        }
    }
}

#[derive(Clone, sqlx::FromRow)]
struct RefusedRow {
    kind: String,
    from_account_id: i64,
    to_account_id: i64,
    amount: i64,
    note: String,
    reason: String,
    available: Option<i64>,
    name: Option<String>,
}

impl RefusedRow {
    /// The refusal as it was first given.
    fn into_error(self) -> Result<TransferError, StoreError> {
        let requested = self.amount;
        match (self.reason.as_str(), self.available, self.name) {
            ("not_enough_credits", Some(available), None) => Ok(TransferError::NotEnoughCredits {
                available,
                requested,
            }),
            ("sub_account_short", Some(available), Some(name)) => {
                Ok(TransferError::SubAccountShort {
                    name,
                    available,
                    requested,
                })
            }
            ("usage_short", Some(available), Some(name)) => Ok(TransferError::UsageShort {
                name,
                available,
                requested,
            }),
            ("suspended", None, Some(name)) => Ok(TransferError::Suspended { name }),
            ("own_account_suspended", None, None) => Ok(TransferError::OwnAccountSuspended),
            (reason, ..) => Err(StoreError::Corrupt(format!(
                "a kept refusal {reason:?} without its details"
            ))),
        }
    }
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
