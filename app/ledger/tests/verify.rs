//! `verify` finds what sums alone cannot: a recorded balance that the ledger's own history
//! contradicts, credits that moved outside the tree, and an account not marked with its newest
//! transfer. Each test tampers with the database behind the ledger's back and expects the report
//! to name the row.

use ledger::testing::{
    TestDatabase, actor, assert_verified, neighbours, operator, transfer_request,
    with_worked_example,
};
use ledger::{AccountId, Actor, IdempotencyKey, Ledger, Transfer, TreeRule};

/// Writes a transfer straight into the database, with both balances moved and recorded as they
/// would be: consistent in every way but the rule under test.
async fn forge(
    db: &TestDatabase,
    kind: &str,
    (from, to): (AccountId, AccountId),
    actor_account: AccountId,
) -> i64 {
    let mut raw = db.raw_connection().await;
    let mut move_by = async |account: AccountId, change: i64| -> i64 {
        sqlx::query_scalar(
            "UPDATE accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance",
        )
        .bind(change)
        .bind(account.0)
        .fetch_one(&mut raw)
        .await
        .unwrap()
    };
    let from_after = move_by(from, -1).await;
    let to_after = move_by(to, 1).await;
    sqlx::query_scalar(
        "INSERT INTO transfers (kind, from_account_id, to_account_id, amount, note, actor_account_id, \
         actor, idempotency_key, from_balance_after, to_balance_after, created_at) \
         VALUES ($1, $2, $3, 1, 'forged', $4, 'forger', $5, $6, $7, 0) RETURNING id",
    )
    .bind(kind)
    .bind(from.0)
    .bind(to.0)
    .bind(actor_account.0)
    .bind(IdempotencyKey::generate().as_str())
    .bind(from_after)
    .bind(to_after)
    .fetch_one(&mut raw)
    .await
    .unwrap()
}

async fn grant(ledger: &Ledger, actor: &Actor, to: AccountId, credits: i64) -> Transfer {
    ledger
        .grant(actor, &transfer_request(to, credits))
        .await
        .unwrap()
        .transfer
}

#[tokio::test]
async fn verify_names_the_transfer_whose_recorded_balance_its_history_contradicts() {
    let (db, ledger, example) = with_worked_example().await;
    let first = grant(&ledger, &example.direct, example.reseller_one, 30).await;
    let second = grant(&ledger, &example.direct, example.customer_one, 5).await;
    grant(&ledger, &example.direct, example.reseller_one, 1).await;

    db.tamper(&format!(
        "UPDATE transfers SET to_balance_after = 31 WHERE id = {}",
        first.id
    ))
    .await;
    db.tamper(&format!(
        "UPDATE transfers SET from_balance_after = 60 WHERE id = {}",
        second.id
    ))
    .await;

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(!report.is_clean(), "{report:?}");
    let named: Vec<_> = report
        .wrong_balances_after
        .iter()
        .map(|wrong| {
            (
                wrong.transfer,
                wrong.account,
                wrong.recorded,
                wrong.replayed,
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (first.id, example.reseller_one, 31, 30),
            (second.id, example.direct.account(), 60, 65),
        ]
    );
    assert!(
        report.drifts.is_empty(),
        "the balances themselves are right"
    );
    assert!(report.outside_the_tree.is_empty());
}

#[tokio::test]
async fn verify_names_each_transfer_that_moved_credits_outside_the_tree() {
    let (db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let (direct, reseller_one) = (example.direct.account(), example.reseller_one);
    let grandchild = n.grandchild.account();
    let platform = ledger.platform_id();
    grant(&ledger, &example.direct, reseller_one, 30).await;
    grant(&ledger, &actor(&ledger, "reseller1").await, grandchild, 10).await;
    assert_verified(&ledger).await;

    let forged = [
        (
            forge(&db, "grant", (direct, grandchild), direct).await,
            TreeRule::GrantToDirectSubAccount,
        ),
        (
            forge(&db, "grant", (reseller_one, direct), reseller_one).await,
            TreeRule::GrantToDirectSubAccount,
        ),
        (
            forge(&db, "grant", (direct, reseller_one), example.reseller_two).await,
            TreeRule::MadeByTheParent,
        ),
        (
            forge(&db, "revoke", (grandchild, direct), direct).await,
            TreeRule::RevokeFromDirectSubAccount,
        ),
        (
            forge(&db, "revoke", (direct, reseller_one), reseller_one).await,
            TreeRule::RevokeFromDirectSubAccount,
        ),
        (
            forge(&db, "revoke", (reseller_one, direct), reseller_one).await,
            TreeRule::MadeByTheParent,
        ),
        (
            forge(&db, "top_up", (platform, reseller_one), platform).await,
            TreeRule::TopUpFromPlatformToDirectReseller,
        ),
        (
            forge(&db, "top_up", (direct, reseller_one), platform).await,
            TreeRule::TopUpFromPlatformToDirectReseller,
        ),
        (
            forge(&db, "top_up", (platform, direct), direct).await,
            TreeRule::MadeByTheParent,
        ),
    ];

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(!report.is_clean(), "{forged:?}: {report:?}");
    let named: Vec<_> = report
        .outside_the_tree
        .iter()
        .map(|outside| (outside.transfer, outside.broken))
        .collect();
    assert_eq!(named, forged);
    assert!(report.drifts.is_empty() && report.wrong_balances_after.is_empty());
    assert_eq!(report.total, 0);
}

#[tokio::test]
async fn verify_names_an_account_not_marked_with_its_newest_transfer() {
    let (db, ledger, example) = with_worked_example().await;
    let older = grant(&ledger, &example.direct, example.reseller_one, 2).await;
    grant(&ledger, &example.direct, example.reseller_one, 3).await;
    assert_verified(&ledger).await;

    db.tamper(&format!(
        "UPDATE accounts SET last_transfer_id = {} WHERE id = {}",
        older.id, example.reseller_one
    ))
    .await;

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(!report.is_clean(), "{report:?}");
    assert_eq!(report.stale_marks, [example.reseller_one]);
    assert!(report.drifts.is_empty() && report.wrong_balances_after.is_empty());
}
