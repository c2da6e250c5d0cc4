//! Proof that the balances are what the ledger says, and that the ledger kept the tree's rules.
//!
//! One pass over the transfers in id order (a single ordered scan, streamed) replays every account's
//! history: each transfer's recorded balances after must equal the replay, each account's stored
//! balance must equal its replayed final balance, and each transfer must follow an edge of the tree
//! the way its kind allows, made by the account its kind names.

use std::collections::HashMap;
use std::fmt;

use futures_util::TryStreamExt;

use crate::accounts::{AccountId, AccountKind};
use crate::actor::Operator;
use crate::transfers::TransferKind;
use crate::{Ledger, StoreError};

/// An account whose stored balance differs from credits in minus credits out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub account: AccountId,
    pub name: String,
    pub balance: i64,
    pub ledger_balance: i64,
}

/// A transfer whose recorded balance after it, for one of its two accounts, is not what that
/// account's transfers up to it add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongBalanceAfter {
    pub transfer: i64,
    pub account: AccountId,
    pub recorded: i64,
    pub replayed: i64,
}

/// A transfer that moved credits other than along the tree as its kind allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideTheTree {
    pub transfer: i64,
    pub kind: TransferKind,
    pub from: AccountId,
    pub to: AccountId,
    pub actor_account: AccountId,
    pub broken: TreeRule,
}

/// The rules of the tree that a transfer can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRule {
    /// A grant goes from a parent to one of its direct sub-accounts.
    GrantToDirectSubAccount,
    /// A revoke goes from a direct sub-account back to its parent.
    RevokeFromDirectSubAccount,
    /// A top-up goes from the platform to a direct reseller.
    TopUpFromPlatformToDirectReseller,
    /// A usage debit goes from an account back to the platform.
    UsageToPlatform,
    /// A grant or revoke is made by the parent, a top-up or usage debit by the platform.
    MadeByTheParent,
}

impl fmt::Display for TreeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GrantToDirectSubAccount => "a grant goes to a direct sub-account of the giver",
            Self::RevokeFromDirectSubAccount => {
                "a revoke comes from a direct sub-account back to its parent"
            }
            Self::TopUpFromPlatformToDirectReseller => {
                "a top-up goes from the platform to a direct reseller"
            }
            Self::UsageToPlatform => "a usage debit goes from an account back to the platform",
            Self::MadeByTheParent => {
                "a grant or revoke is made by the parent, a top-up or usage debit by the platform"
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub accounts: i64,
    pub transfers: i64,
    /// Credits held outside the platform: minus the platform's balance when all is well.
    pub in_circulation: i64,
    /// The sum of every balance, platform included: zero when all is well.
    pub total: i64,
    pub drifts: Vec<Drift>,
    /// Non-platform accounts below zero (the schema forbids them; listed to prove it).
    pub negative: Vec<AccountId>,
    pub wrong_balances_after: Vec<WrongBalanceAfter>,
    pub outside_the_tree: Vec<OutsideTheTree>,
    /// Parents whose kept totals (how many sub-accounts of each kind and status, and their credits)
    /// differ from their sub-accounts.
    pub totals_drift: Vec<AccountId>,
    /// Accounts whose mark of their newest transfer (what live updates and pages sorted by balance
    /// read) is not their newest transfer.
    pub stale_marks: Vec<AccountId>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.total == 0
            && self.drifts.is_empty()
            && self.negative.is_empty()
            && self.wrong_balances_after.is_empty()
            && self.outside_the_tree.is_empty()
            && self.totals_drift.is_empty()
            && self.stale_marks.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    name: String,
    balance: i64,
    last_transfer_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    id: i64,
    kind: String,
    from_account_id: i64,
    to_account_id: i64,
    amount: i64,
    actor_account_id: i64,
    from_balance_after: i64,
    to_balance_after: i64,
}

/// What the replay needs to know of an account.
struct Replayed {
    parent: Option<AccountId>,
    kind: AccountKind,
    /// Credits in minus credits out, so far in the replay.
    balance: i64,
    /// The last transfer replayed that moved this account.
    newest: Option<i64>,
}

impl Ledger {
    /// Replays the whole ledger against the balances and the tree. Reads only; safe to run at any
    /// time, and in one snapshot, so transfers committing meanwhile are wholly in or wholly out.
    pub async fn verify(&self, _operator: &Operator) -> Result<VerifyReport, StoreError> {
        let mut tx = self.db.begin_snapshot().await?;
        let accounts: Vec<AccountRow> = sqlx::query_as(
            "SELECT id, parent_id, kind, name, balance, last_transfer_id FROM accounts ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut replayed = HashMap::with_capacity(accounts.len());
        for account in &accounts {
            let state = Replayed {
                parent: account.parent_id.map(AccountId),
                kind: account.kind.parse()?,
                balance: 0,
                newest: None,
            };
            replayed.insert(AccountId(account.id), state);
        }
        let platform = self.platform_id;
        // The grid's kept totals against a count of the sub-accounts themselves, both ways.
        let totals_drift: Vec<i64> = sqlx::query_scalar(
            "WITH actual AS ( \
                 SELECT parent_id, kind, status, COUNT(*) AS accounts, \
                     CAST(SUM(balance) AS BIGINT) AS credits \
                 FROM accounts WHERE parent_id IS NOT NULL GROUP BY parent_id, kind, status \
             ), kept AS ( \
                 SELECT parent_id, kind, status, accounts, credits FROM sub_account_totals \
                 WHERE accounts <> 0 OR credits <> 0 \
             ) \
             SELECT parent_id FROM (SELECT * FROM actual EXCEPT SELECT * FROM kept) missing \
             UNION SELECT parent_id FROM (SELECT * FROM kept EXCEPT SELECT * FROM actual) extra \
             ORDER BY parent_id",
        )
        .fetch_all(&mut *tx)
        .await?;

        let mut report = VerifyReport {
            accounts: i64::try_from(accounts.len()).unwrap_or(i64::MAX),
            transfers: 0,
            in_circulation: 0,
            total: 0,
            drifts: Vec::new(),
            negative: Vec::new(),
            wrong_balances_after: Vec::new(),
            outside_the_tree: Vec::new(),
            totals_drift: totals_drift.into_iter().map(AccountId).collect(),
            stale_marks: Vec::new(),
        };
        let mut transfers = sqlx::query_as::<_, TransferRow>(
            "SELECT id, kind, from_account_id, to_account_id, amount, actor_account_id, \
             from_balance_after, to_balance_after FROM transfers ORDER BY id",
        )
        .fetch(&mut *tx);
        while let Some(row) = transfers.try_next().await? {
            report.transfers += 1;
            replay(&mut replayed, platform, &row, &mut report)?;
        }
        drop(transfers);
        tx.commit().await?;

        for account in accounts {
            let id = AccountId(account.id);
            report.total += account.balance;
            if id == platform {
                report.in_circulation = -account.balance;
            } else if account.balance < 0 {
                report.negative.push(id);
            }
            let (ledger_balance, newest) = replayed
                .get(&id)
                .map_or((0, None), |state| (state.balance, state.newest));
            if account.last_transfer_id != newest {
                report.stale_marks.push(id);
            }
            if account.balance != ledger_balance {
                report.drifts.push(Drift {
                    account: id,
                    name: account.name,
                    balance: account.balance,
                    ledger_balance,
                });
            }
        }
        Ok(report)
    }
}

/// Replays one transfer: moves the two replayed balances, then compares them and the tree's rules
/// with what the transfer recorded.
fn replay(
    accounts: &mut HashMap<AccountId, Replayed>,
    platform: AccountId,
    row: &TransferRow,
    report: &mut VerifyReport,
) -> Result<(), StoreError> {
    let kind: TransferKind = row.kind.parse()?;
    let (from, to) = (AccountId(row.from_account_id), AccountId(row.to_account_id));
    let actor_account = AccountId(row.actor_account_id);
    for (account, change, recorded) in [
        (from, -row.amount, row.from_balance_after),
        (to, row.amount, row.to_balance_after),
    ] {
        let state = accounts.get_mut(&account).ok_or_else(|| {
            StoreError::Corrupt(format!("transfer {} names no account {account}", row.id))
        })?;
        state.balance += change;
        state.newest = Some(row.id);
        if state.balance != recorded {
            report.wrong_balances_after.push(WrongBalanceAfter {
                transfer: row.id,
                account,
                recorded,
                replayed: state.balance,
            });
        }
    }

    let parent_of = |account: AccountId| accounts.get(&account).and_then(|state| state.parent);
    let (edge, parent) = match kind {
        TransferKind::Grant => (parent_of(to) == Some(from), from),
        TransferKind::Revoke => (parent_of(from) == Some(to), to),
        TransferKind::TopUp => {
            let direct_reseller = accounts
                .get(&to)
                .is_some_and(|state| state.kind == AccountKind::DirectReseller);
            (from == platform && direct_reseller, platform)
        }
        TransferKind::Usage => (to == platform && from != platform, platform),
    };
    let broken = if !edge {
        Some(match kind {
            TransferKind::Grant => TreeRule::GrantToDirectSubAccount,
            TransferKind::Revoke => TreeRule::RevokeFromDirectSubAccount,
            TransferKind::TopUp => TreeRule::TopUpFromPlatformToDirectReseller,
            TransferKind::Usage => TreeRule::UsageToPlatform,
        })
    } else if actor_account != parent {
        Some(TreeRule::MadeByTheParent)
    } else {
        None
    };
    if let Some(broken) = broken {
        report.outside_the_tree.push(OutsideTheTree {
            transfer: row.id,
            kind,
            from,
            to,
            actor_account,
            broken,
        });
    }
    Ok(())
}
