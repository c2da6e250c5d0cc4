//! Proof that the balances are what the ledger says: recomputes every balance from the transfers.

use crate::accounts::AccountId;
use crate::actor::Operator;
use crate::{Ledger, StoreError};

/// An account whose stored balance differs from credits in minus credits out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub account: AccountId,
    pub name: String,
    pub balance: i64,
    pub ledger_balance: i64,
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
    /// Parents whose kept totals (how many sub-accounts of each kind and status, and their credits)
    /// differ from their sub-accounts.
    pub totals_drift: Vec<AccountId>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.total == 0
            && self.drifts.is_empty()
            && self.negative.is_empty()
            && self.totals_drift.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct BalanceRow {
    id: i64,
    name: String,
    kind: String,
    balance: i64,
    ledger_balance: i64,
}

impl Ledger {
    /// Recomputes every balance from the ledger. Reads only; safe to run at any time.
    pub async fn verify(&self, _operator: &Operator) -> Result<VerifyReport, StoreError> {
        // One read transaction so that balances and transfers are one consistent snapshot.
        let mut tx = self.db.pool().begin().await?;
        // SUM of BIGINT is NUMERIC on PostgreSQL; the casts keep one query for both backends.
        let rows: Vec<BalanceRow> = sqlx::query_as(
            "SELECT a.id, a.name, a.kind, a.balance, \
                CAST(COALESCE((SELECT SUM(amount) FROM transfers WHERE to_account_id = a.id), 0) AS BIGINT) \
              - CAST(COALESCE((SELECT SUM(amount) FROM transfers WHERE from_account_id = a.id), 0) AS BIGINT) \
                AS ledger_balance \
             FROM accounts a ORDER BY a.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let transfers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transfers")
            .fetch_one(&mut *tx)
            .await?;
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
        tx.commit().await?;

        let mut report = VerifyReport {
            accounts: i64::try_from(rows.len()).unwrap_or(i64::MAX),
            transfers,
            in_circulation: 0,
            total: 0,
            drifts: Vec::new(),
            negative: Vec::new(),
            totals_drift: totals_drift.into_iter().map(AccountId).collect(),
        };
        for row in rows {
            let is_platform = row.kind == "platform";
            report.total += row.balance;
            if is_platform {
                report.in_circulation = -row.balance;
            } else if row.balance < 0 {
                report.negative.push(AccountId(row.id));
            }
            if row.balance != row.ledger_balance {
                report.drifts.push(Drift {
                    account: AccountId(row.id),
                    name: row.name,
                    balance: row.balance,
                    ledger_balance: row.ledger_balance,
                });
            }
        }
        Ok(report)
    }
}
