//! Low-balance alerts and auto-replenish: rules that watch a balance, and what a movement that
//! crosses one of them does in its own transaction.
//!
//! Guarantees:
//! - an alert fires when a movement takes a balance from at or above the threshold to below it, once
//!   per crossing (not on every debit below), in the movement's transaction: a movement rolled back
//!   fires nothing;
//! - auto-replenish is an ordinary grant from the parent (checked, recorded, verified like any other)
//!   with an idempotency key derived from the triggering transfer, so it happens once;
//! - it never overdraws the parent: short of credits, nothing moves and the parent gets an
//!   `auto_replenish_failed` alert instead;
//! - a chain of replenishes only climbs the tree (each one debits the parent), and tops each account
//!   up at most once, so it ends.
//!
//! A revoke does not trigger the replenish of the account it empties: the parent took those credits
//! back on purpose.

use std::collections::HashSet;

use sqlx::AnyConnection;

use crate::accounts::AccountId;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::db::WriteTx;
use crate::transfers::{Known, Moved, Movement, Transfer, TransferError, TransferKind};
use crate::values::{Credits, IdempotencyKey, MAX_CREDITS_PER_TRANSFER, Note};
use crate::webhooks::{self, Event};
use crate::{Ledger, StoreError};

/// The columns of [`Watched`], returned by the debit that moves a balance.
macro_rules! watched_columns {
    () => {
        "id, balance, parent_id, name, alert_below, replenish_below, replenish_to"
    };
}
pub(crate) use watched_columns;

/// An account that pays for a movement, with the rules that watch its balance.
#[derive(Clone, sqlx::FromRow)]
pub(crate) struct Watched {
    id: i64,
    pub(crate) balance: i64,
    parent_id: Option<i64>,
    name: String,
    alert_below: Option<i64>,
    replenish_below: Option<i64>,
    replenish_to: Option<i64>,
}

/// What watches an account's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BalanceRules {
    /// Alert when a movement takes the balance below this.
    pub alert_below: Option<i64>,
    /// Top the account up from its parent when a movement takes it below a level.
    pub replenish: Option<Replenish>,
}

/// "When below `below`, top up to `up_to`", set by the parent on a direct sub-account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replenish {
    pub below: i64,
    pub up_to: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("no such sub-account")]
    SubAccountNotFound,
    #[error("a threshold is a whole number of credits from 1 to {MAX_CREDITS_PER_TRANSFER}")]
    OutOfRange,
    #[error("the top-up level ({up_to}) must be above the level that triggers it ({below})")]
    TopUpNotAbove { below: i64, up_to: i64 },
    /// Only a parent tops up an account: the actor's own account has no one to replenish it here.
    #[error("your own account cannot be replenished automatically")]
    ReplenishOwnAccount,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RulesError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl BalanceRules {
    /// Rules from their parts, each checked.
    ///
    /// Errors: `OutOfRange` (a level below 1 or above the largest transfer), `TopUpNotAbove`.
    pub fn new(alert_below: Option<i64>, replenish: Option<Replenish>) -> Result<Self, RulesError> {
        let in_range = |level: i64| (1..=MAX_CREDITS_PER_TRANSFER).contains(&level);
        let levels = alert_below
            .into_iter()
            .chain(replenish.iter().flat_map(|rule| [rule.below, rule.up_to]));
        if !levels.into_iter().all(in_range) {
            return Err(RulesError::OutOfRange);
        }
        if let Some(Replenish { below, up_to }) = replenish
            && up_to <= below
        {
            return Err(RulesError::TopUpNotAbove { below, up_to });
        }
        Ok(Self {
            alert_below,
            replenish,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    LowBalance,
    AutoReplenishFailed,
}

impl AlertKind {
    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "low_balance" => Ok(Self::LowBalance),
            "auto_replenish_failed" => Ok(Self::AutoReplenishFailed),
            other => Err(StoreError::Corrupt(format!("unknown alert kind {other:?}"))),
        }
    }
}

/// One alert, as the account or its parent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    /// The account whose balance crossed the threshold.
    pub account: AccountId,
    pub account_name: String,
    /// Its balance after the movement.
    pub balance: i64,
    /// The level crossed: the alert threshold, or the replenish trigger.
    pub threshold: i64,
    pub transfer_id: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Newer than the last time the reader opened its alerts.
    pub unread: bool,
}

/// Alerts a reader sees: low balances of its own account and of its direct sub-accounts, and the
/// replenishes it could not pay for.
const VISIBLE_ALERTS: &str =
    "((al.account_id = $1 AND al.kind = 'low_balance') OR al.parent_id = $1)";

impl Ledger {
    /// The rules watching `account`: the actor's own, or one of its direct sub-accounts.
    ///
    /// Errors: `SubAccountNotFound`, `Store`.
    pub async fn balance_rules(
        &self,
        actor: &Actor,
        account: AccountId,
    ) -> Result<BalanceRules, RulesError> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT alert_below, replenish_below, replenish_to FROM accounts \
             WHERE id = $1 AND (id = $2 OR parent_id = $2)",
        )
        .bind(account.0)
        .bind(actor.account().0)
        .fetch_optional(self.db.pool())
        .await?;
        let (alert_below, below, up_to) = row.ok_or(RulesError::SubAccountNotFound)?;
        let replenish = below
            .zip(up_to)
            .map(|(below, up_to)| Replenish { below, up_to });
        Ok(BalanceRules {
            alert_below,
            replenish,
        })
    }

    /// Sets the rules watching `account`: the actor's own (an alert threshold only), or one of its
    /// direct sub-accounts. They apply from the next movement on; a balance already below a new
    /// threshold fires nothing until it rises to it and falls again.
    ///
    /// Errors: `SubAccountNotFound`, `ReplenishOwnAccount`, `Store`.
    pub async fn set_balance_rules(
        &self,
        actor: &Actor,
        account: AccountId,
        rules: &BalanceRules,
    ) -> Result<(), RulesError> {
        if account == actor.account() && rules.replenish.is_some() {
            return Err(RulesError::ReplenishOwnAccount);
        }
        let updated = sqlx::query(
            "UPDATE accounts SET alert_below = $1, replenish_below = $2, replenish_to = $3 \
             WHERE id = $4 AND (id = $5 OR parent_id = $5)",
        )
        .bind(rules.alert_below)
        .bind(rules.replenish.map(|rule| rule.below))
        .bind(rules.replenish.map(|rule| rule.up_to))
        .bind(account.0)
        .bind(actor.account().0)
        .execute(self.db.pool())
        .await?;
        if updated.rows_affected() == 0 {
            return Err(RulesError::SubAccountNotFound);
        }
        tracing::info!(actor = actor.name(), %account, ?rules, "balance rules set");
        Ok(())
    }

    /// The actor's alerts, newest first, at most `limit` (and at most [`crate::MAX_PAGE_ROWS`]).
    pub async fn alerts(&self, actor: &Actor, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let rows: Vec<AlertRow> = sqlx::query_as(&format!(
            "SELECT al.id, al.kind, al.account_id, a.name, al.balance, al.threshold, al.transfer_id, \
             al.created_at, r.alerts_read_up_to \
             FROM alerts al JOIN accounts a ON a.id = al.account_id \
             JOIN accounts r ON r.id = $1 \
             WHERE {VISIBLE_ALERTS} ORDER BY al.id DESC LIMIT $2"
        ))
        .bind(actor.account().0)
        .bind(i64::from(limit.min(crate::MAX_PAGE_ROWS)))
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Alert::try_from).collect()
    }

    /// How many of the actor's alerts are newer than the last time it opened them.
    pub async fn unread_alerts(&self, actor: &Actor) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM alerts al JOIN accounts r ON r.id = $1 \
             WHERE {VISIBLE_ALERTS} AND al.id > r.alerts_read_up_to"
        ))
        .bind(actor.account().0)
        .fetch_one(self.db.pool())
        .await?)
    }

    /// Marks every alert the actor sees up to `newest` as read.
    pub async fn mark_alerts_read(&self, actor: &Actor, newest: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE accounts SET alerts_read_up_to = $1 WHERE id = $2 AND alerts_read_up_to < $1",
        )
        .bind(newest)
        .bind(actor.account().0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct AlertRow {
    id: i64,
    kind: String,
    account_id: i64,
    name: String,
    balance: i64,
    threshold: i64,
    transfer_id: i64,
    created_at: i64,
    alerts_read_up_to: i64,
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(row: AlertRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            kind: AlertKind::parse(&row.kind)?,
            account: AccountId(row.account_id),
            account_name: row.name,
            balance: row.balance,
            threshold: row.threshold,
            transfer_id: row.transfer_id,
            created_at: row.created_at,
            unread: row.id > row.alerts_read_up_to,
        })
    }
}

/// Everything a recorded transfer sets off, in its own transaction: the receiver's
/// `transfer.received` event, then the sender's low-balance alert and auto-replenish, up the tree
/// for as long as replenishes empty their payers. Returns whether it tried a replenish, which
/// moves balances through statements of its own.
pub(crate) async fn after_move(
    tx: &mut WriteTx,
    kind: TransferKind,
    moved: Moved,
    clock: &Clock,
) -> Result<bool, TransferError> {
    let mut topped_up = HashSet::new();
    let mut next = Some((kind, moved));
    while let Some((kind, moved)) = next.take() {
        let Moved {
            transfer,
            sender,
            receiver_has_webhook,
        } = moved;
        if tells_receiver(kind, receiver_has_webhook) {
            let event = Event::transfer_received(&transfer);
            webhooks::enqueue(tx, event, &[transfer.to], clock).await?;
        }
        let Some(parent) = sender.parent_id() else {
            continue;
        };
        let crossed = Crossed::by(kind, &sender, sender.balance + transfer.amount);
        if let Some(level) = crossed.alert {
            let alert =
                insert_alert(tx, "low_balance", &sender, parent, level, &transfer, clock).await?;
            let event = Event::low_balance(alert, &sender, level, &transfer);
            webhooks::enqueue(tx, event, &[sender.id(), parent], clock).await?;
        }
        if let Some(rule) = crossed.replenish
            && topped_up.insert(sender.id)
        {
            next = replenish(tx, &sender, parent, rule, &transfer, clock)
                .await?
                .map(|grant| (TransferKind::Grant, grant));
        }
    }
    Ok(!topped_up.is_empty())
}

/// Whether a movement sets nothing off: no event for its receiver, no level of its sender's crossed.
/// `sender` holds the rules watching the sender and its balance before the movement.
pub(crate) fn sets_off_nothing(
    kind: TransferKind,
    sender: &Watched,
    amount: i64,
    receiver_has_webhook: bool,
) -> bool {
    let mut after = sender.clone();
    after.balance -= amount;
    let crossed = Crossed::by(kind, &after, sender.balance);
    !tells_receiver(kind, receiver_has_webhook)
        && (sender.parent_id.is_none() || (crossed.alert.is_none() && crossed.replenish.is_none()))
}

/// Usage pays the platform, which has no webhook.
fn tells_receiver(kind: TransferKind, receiver_has_webhook: bool) -> bool {
    receiver_has_webhook && kind != TransferKind::Usage
}

/// The levels a movement took its sender's balance below.
struct Crossed {
    alert: Option<i64>,
    /// A revoke does not refill what the parent took back.
    replenish: Option<Replenish>,
}

impl Crossed {
    /// `sender` as the movement left it, with its balance `before` it.
    fn by(kind: TransferKind, sender: &Watched, before: i64) -> Self {
        let crossed = |level: i64| before >= level && sender.balance < level;
        let rule = sender.replenish_below.zip(sender.replenish_to);
        Self {
            alert: sender.alert_below.filter(|&level| crossed(level)),
            replenish: rule
                .filter(|&(below, _)| crossed(below) && kind != TransferKind::Revoke)
                .map(|(below, up_to)| Replenish { below, up_to }),
        }
    }
}

/// The parent's grant that tops `account` up to the rule's level, or its failure alert. Returns the
/// grant, to look at what it did to the parent's balance in turn.
async fn replenish(
    tx: &mut WriteTx,
    account: &Watched,
    parent: AccountId,
    rule: Replenish,
    trigger: &Transfer,
    clock: &Clock,
) -> Result<Option<Moved>, TransferError> {
    let store = |error: String| TransferError::Store(StoreError::Corrupt(error));
    let grant = Movement {
        kind: TransferKind::Grant,
        from: parent,
        to: account.id(),
        credits: Credits::new(rule.up_to - account.balance).map_err(|e| store(e.to_string()))?,
        note: Note::parse(&format!(
            "Automatic top-up: {} fell below {} credits (transfer {})",
            account.name, rule.below, trigger.id
        ))
        .map_err(|e| store(e.to_string()))?,
        actor_account: parent,
        actor_name: "auto-replenish".to_owned(),
        key: IdempotencyKey::parse(&format!("auto-replenish-{}", trigger.id))
            .map_err(|e| store(e.to_string()))?,
    };
    let mut known = Known::read(tx, &[&grant]).await?;
    match known.parties(&grant).check_move(&grant) {
        Ok(allowed) => {
            let moved = known.move_now(tx, &grant, allowed, clock.now()).await?;
            tracing::info!(account = %grant.to, id = moved.transfer.id, "auto-replenished");
            Ok(Some(moved))
        }
        Err(TransferError::Store(error)) => Err(TransferError::Store(error)),
        Err(refusal) => {
            tracing::info!(account = %grant.to, %refusal, "auto-replenish refused");
            let alert = insert_alert(
                tx,
                "auto_replenish_failed",
                account,
                parent,
                rule.below,
                trigger,
                clock,
            )
            .await?;
            let event = Event::auto_replenish_failed(alert, account, rule, &refusal, trigger);
            webhooks::enqueue(tx, event, &[parent], clock).await?;
            Ok(None)
        }
    }
}

async fn insert_alert(
    conn: &mut AnyConnection,
    kind: &str,
    account: &Watched,
    parent: AccountId,
    threshold: i64,
    transfer: &Transfer,
    clock: &Clock,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO alerts (kind, account_id, parent_id, balance, threshold, transfer_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(kind)
    .bind(account.id)
    .bind(parent.0)
    .bind(account.balance)
    .bind(threshold)
    .bind(transfer.id)
    .bind(clock.now())
    .fetch_one(conn)
    .await
}

impl Watched {
    pub(crate) fn id(&self) -> AccountId {
        AccountId(self.id)
    }

    pub(crate) fn parent_id(&self) -> Option<AccountId> {
        self.parent_id.map(AccountId)
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}
