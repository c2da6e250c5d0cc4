//! The ledger's rules, against a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL).

use std::sync::Arc;

use ledger::testing::TestDatabase;
use ledger::{
    Account, AccountId, AccountKind, AccountName, Actor, Credits, IdempotencyKey, Ledger, Login,
    Note, Password, TransferError, TransferKind, TransferRequest,
};
use sqlx::Executor;

/// The worked example's starting point: a direct reseller with 100 credits and three sub-accounts at 0.
struct Tree {
    direct: Account,
    reseller_one: Account,
    reseller_two: Account,
    customer_one: Account,
}

impl Tree {
    fn actor(&self) -> Actor {
        Actor {
            account: self.direct.id,
            name: "direct".into(),
        }
    }

    fn subs(&self) -> [AccountId; 3] {
        [
            self.reseller_one.id,
            self.reseller_two.id,
            self.customer_one.id,
        ]
    }
}

/// Opens an account whose login is its name in lowercase with dashes.
async fn open(ledger: &Ledger, parent: AccountId, kind: AccountKind, name: &str) -> Account {
    let login = Login::parse(&name.to_lowercase().replace(' ', "-")).unwrap();
    let password = Password::parse("creditdesk-test").unwrap();
    ledger
        .open_account(
            parent,
            kind,
            &AccountName::parse(name).unwrap(),
            &login,
            &password,
        )
        .await
        .unwrap()
        .account
}

async fn worked_example_tree(ledger: &Ledger) -> Tree {
    let direct = open(
        ledger,
        ledger.platform_id(),
        AccountKind::DirectReseller,
        "Direct Reseller",
    )
    .await;
    ledger
        .top_up(
            "operator",
            direct.id,
            credits(100),
            &note("Opening balance"),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap();
    Tree {
        reseller_one: open(ledger, direct.id, AccountKind::Reseller, "Reseller One").await,
        reseller_two: open(ledger, direct.id, AccountKind::Reseller, "Reseller Two").await,
        customer_one: open(ledger, direct.id, AccountKind::Customer, "Customer One").await,
        direct,
    }
}

fn credits(n: i64) -> Credits {
    Credits::new(n).unwrap()
}

fn note(text: &str) -> Note {
    Note::parse(text).unwrap()
}

fn request(sub_account: AccountId, n: i64) -> TransferRequest {
    TransferRequest {
        sub_account,
        credits: credits(n),
        note: note("test transfer"),
        key: IdempotencyKey::generate(),
    }
}

async fn balance(ledger: &Ledger, id: AccountId) -> i64 {
    ledger.account(id).await.unwrap().unwrap().balance
}

async fn assert_clean(ledger: &Ledger) {
    let report = ledger.verify().await.unwrap();
    assert!(report.is_clean(), "verify found problems: {report:?}");
}

#[tokio::test]
async fn a_grant_moves_credits_to_the_sub_account_and_records_both_balances() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;

    let transfer = ledger
        .grant(
            &tree.actor(),
            &TransferRequest {
                note: note("June order"),
                ..request(tree.reseller_one.id, 30)
            },
        )
        .await
        .unwrap();

    assert_eq!(transfer.kind, TransferKind::Grant);
    assert_eq!(
        (transfer.from, transfer.to),
        (tree.direct.id, tree.reseller_one.id)
    );
    assert_eq!(
        (transfer.from_balance_after, transfer.to_balance_after),
        (70, 30)
    );
    assert_eq!(transfer.note, "June order");
    assert_eq!(transfer.actor, "direct");
    assert_eq!(balance(&ledger, tree.direct.id).await, 70);
    assert_eq!(balance(&ledger, tree.reseller_one.id).await, 30);
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn a_revoke_moves_credits_back_to_the_parent() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    ledger
        .grant(&tree.actor(), &request(tree.customer_one.id, 30))
        .await
        .unwrap();

    let transfer = ledger
        .revoke(&tree.actor(), &request(tree.customer_one.id, 5))
        .await
        .unwrap();

    assert_eq!(transfer.kind, TransferKind::Revoke);
    assert_eq!(
        (transfer.from, transfer.to),
        (tree.customer_one.id, tree.direct.id)
    );
    assert_eq!(
        (transfer.from_balance_after, transfer.to_balance_after),
        (25, 75)
    );
    assert_eq!(balance(&ledger, tree.customer_one.id).await, 25);
    assert_eq!(balance(&ledger, tree.direct.id).await, 75);
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn the_worked_example_leaves_the_direct_reseller_with_10() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    assert_eq!(balance(&ledger, tree.direct.id).await, 100);

    for sub in tree.subs() {
        assert_eq!(balance(&ledger, sub).await, 0);
        ledger
            .grant(&tree.actor(), &request(sub, 30))
            .await
            .unwrap();
    }

    assert_eq!(balance(&ledger, tree.direct.id).await, 10);
    for sub in tree.subs() {
        assert_eq!(balance(&ledger, sub).await, 30);
    }
    let report = ledger.verify().await.unwrap();
    assert!(report.is_clean());
    assert_eq!(report.in_circulation, 100);
    assert_eq!(report.transfers, 4);
}

#[tokio::test]
async fn a_grant_over_the_balance_is_refused_and_moves_nothing() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;

    let error = ledger
        .grant(&tree.actor(), &request(tree.reseller_one.id, 101))
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            TransferError::NotEnoughCredits {
                available: 100,
                requested: 101
            }
        ),
        "{error:?}"
    );
    assert_eq!(balance(&ledger, tree.direct.id).await, 100);
    assert_eq!(balance(&ledger, tree.reseller_one.id).await, 0);
    assert_eq!(ledger.verify().await.unwrap().transfers, 1);
}

#[tokio::test]
async fn a_revoke_over_the_sub_accounts_balance_is_refused_and_moves_nothing() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    ledger
        .grant(&tree.actor(), &request(tree.reseller_two.id, 5))
        .await
        .unwrap();

    let error = ledger
        .revoke(&tree.actor(), &request(tree.reseller_two.id, 8))
        .await
        .unwrap_err();

    match error {
        TransferError::SubAccountShort {
            name,
            available,
            requested,
        } => {
            assert_eq!(
                (name.as_str(), available, requested),
                ("Reseller Two", 5, 8)
            );
        }
        other => panic!("expected SubAccountShort, got {other:?}"),
    }
    assert_eq!(balance(&ledger, tree.reseller_two.id).await, 5);
    assert_eq!(balance(&ledger, tree.direct.id).await, 95);
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn zero_credits_cannot_even_be_asked_for() {
    // `Credits` is the only way into a transfer, so zero never reaches the database.
    assert!(Credits::new(0).is_err());
    assert!(Credits::new(-1).is_err());
}

#[tokio::test]
async fn only_direct_sub_accounts_can_be_targets() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    ledger
        .grant(&tree.actor(), &request(tree.reseller_one.id, 30))
        .await
        .unwrap();
    let grandchild = open(
        &ledger,
        tree.reseller_one.id,
        AccountKind::Customer,
        "Grandchild",
    )
    .await;
    let other_direct = open(
        &ledger,
        ledger.platform_id(),
        AccountKind::DirectReseller,
        "Other",
    )
    .await;
    let reseller_one = Actor {
        account: tree.reseller_one.id,
        name: "reseller1".into(),
    };

    let not_mine = [
        (tree.actor(), grandchild.id),
        (tree.actor(), other_direct.id),
        (tree.actor(), tree.direct.id),
        (tree.actor(), ledger.platform_id()),
        (tree.actor(), AccountId(999_999)),
        (reseller_one.clone(), tree.direct.id),
        (reseller_one.clone(), tree.reseller_two.id),
    ];
    for (actor, target) in not_mine {
        let grant = ledger.grant(&actor, &request(target, 1)).await.unwrap_err();
        let revoke = ledger
            .revoke(&actor, &request(target, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(grant, TransferError::SubAccountNotFound),
            "grant to {target}: {grant:?}"
        );
        assert!(
            matches!(revoke, TransferError::SubAccountNotFound),
            "revoke from {target}: {revoke:?}"
        );
    }
    assert_eq!(balance(&ledger, tree.direct.id).await, 70);
    assert_eq!(balance(&ledger, tree.reseller_one.id).await, 30);
    assert_eq!(ledger.verify().await.unwrap().transfers, 2);
}

#[tokio::test]
async fn the_same_idempotency_key_twice_moves_credits_once_and_returns_the_first_result() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    let once = request(tree.reseller_one.id, 30);

    let first = ledger.grant(&tree.actor(), &once).await.unwrap();
    let second = ledger.grant(&tree.actor(), &once).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(balance(&ledger, tree.direct.id).await, 70);
    assert_eq!(balance(&ledger, tree.reseller_one.id).await, 30);
    assert_eq!(ledger.verify().await.unwrap().transfers, 2);
}

#[tokio::test]
async fn a_key_reused_for_a_different_transfer_is_refused() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    let first = request(tree.reseller_one.id, 30);
    ledger.grant(&tree.actor(), &first).await.unwrap();

    let other_amount = TransferRequest {
        credits: credits(31),
        ..first.clone()
    };
    let other_target = TransferRequest {
        sub_account: tree.reseller_two.id,
        ..first.clone()
    };
    for different in [other_amount, other_target] {
        let error = ledger.grant(&tree.actor(), &different).await.unwrap_err();
        assert!(matches!(error, TransferError::KeyReused), "{error:?}");
    }
    let as_revoke = ledger.revoke(&tree.actor(), &first).await.unwrap_err();
    assert!(
        matches!(as_revoke, TransferError::KeyReused),
        "{as_revoke:?}"
    );
    assert_eq!(balance(&ledger, tree.direct.id).await, 70);
    assert_eq!(balance(&ledger, tree.reseller_two.id).await, 0);
}

#[tokio::test]
async fn keys_are_scoped_to_the_acting_account() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    let direct_grant = request(tree.reseller_one.id, 30);
    ledger.grant(&tree.actor(), &direct_grant).await.unwrap();
    let customer = open(&ledger, tree.reseller_one.id, AccountKind::Customer, "Acme").await;
    let reseller_one = Actor {
        account: tree.reseller_one.id,
        name: "reseller1".into(),
    };

    // The same key from another account is a new transfer of that account's, not a replay.
    let theirs = ledger
        .grant(
            &reseller_one,
            &TransferRequest {
                sub_account: customer.id,
                credits: credits(10),
                ..direct_grant
            },
        )
        .await
        .unwrap();

    assert_eq!(
        (theirs.from, theirs.to, theirs.amount),
        (tree.reseller_one.id, customer.id, 10)
    );
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn fifty_concurrent_grants_never_overdraw_and_conserve_the_total() {
    let db = TestDatabase::new().await;
    let ledger = Arc::new(db.ledger().await);
    let tree = worked_example_tree(&ledger).await;
    let actor = tree.actor();
    let targets = tree.subs();

    // 50 grants of 7 from 100 credits: at most 14 can succeed.
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (ledger, actor) = (Arc::clone(&ledger), actor.clone());
            let target = targets[i % targets.len()];
            tokio::spawn(async move { ledger.grant(&actor, &request(target, 7)).await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(transfer) => {
                assert!(transfer.from_balance_after >= 0);
                succeeded += 1;
            }
            Err(TransferError::NotEnoughCredits {
                available,
                requested: 7,
            }) => assert!(available < 7),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }

    assert_eq!(succeeded, 14);
    let direct = balance(&ledger, tree.direct.id).await;
    let mut given = 0;
    for sub in targets {
        given += balance(&ledger, sub).await;
    }
    assert_eq!(direct, 100 - 14 * 7);
    assert_eq!(direct + given, 100);
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn concurrent_grants_and_revokes_in_both_directions_finish_and_conserve() {
    let db = TestDatabase::new().await;
    let ledger = Arc::new(db.ledger().await);
    let tree = worked_example_tree(&ledger).await;
    for sub in tree.subs() {
        ledger
            .grant(&tree.actor(), &request(sub, 30))
            .await
            .unwrap();
    }

    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (ledger, actor) = (Arc::clone(&ledger), tree.actor());
            let target = tree.subs()[i % 3];
            tokio::spawn(async move {
                let request = request(target, 1 + (i as i64 % 4));
                if i % 2 == 0 {
                    ledger.grant(&actor, &request).await
                } else {
                    ledger.revoke(&actor, &request).await
                }
            })
        })
        .collect();
    for task in tasks {
        match task.await.unwrap() {
            Ok(_)
            | Err(TransferError::NotEnoughCredits { .. } | TransferError::SubAccountShort { .. }) =>
                {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }

    let report = ledger.verify().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 100);
}

#[tokio::test]
async fn history_lists_the_entries_of_an_account_newest_first_with_notes() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    ledger
        .grant(
            &tree.actor(),
            &TransferRequest {
                note: note("first"),
                ..request(tree.reseller_one.id, 30)
            },
        )
        .await
        .unwrap();
    ledger
        .revoke(
            &tree.actor(),
            &TransferRequest {
                note: note("second"),
                ..request(tree.reseller_one.id, 4)
            },
        )
        .await
        .unwrap();
    ledger
        .grant(&tree.actor(), &request(tree.customer_one.id, 1))
        .await
        .unwrap();

    let history = ledger
        .history(tree.reseller_one.id, None, 10)
        .await
        .unwrap();

    let notes: Vec<_> = history.iter().map(|e| e.transfer.note.as_str()).collect();
    assert_eq!(notes, ["second", "first"]);
    assert_eq!(
        (history[0].from_name.as_str(), history[0].to_name.as_str()),
        ("Reseller One", "Direct Reseller")
    );
    let older = ledger
        .history(tree.reseller_one.id, Some(history[0].transfer.id), 10)
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(
        ledger.history(tree.direct.id, None, 2).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn a_top_up_goes_only_to_a_direct_reseller() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;

    for target in [
        tree.reseller_one.id,
        tree.customer_one.id,
        ledger.platform_id(),
        AccountId(424_242),
    ] {
        let error = ledger
            .top_up(
                "operator",
                target,
                credits(5),
                &note("nope"),
                &IdempotencyKey::generate(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransferError::NotADirectReseller),
            "{error:?}"
        );
    }
    let report = ledger.verify().await.unwrap();
    assert_eq!((report.in_circulation, report.transfers), (100, 1));
}

#[tokio::test]
async fn the_tree_keeps_its_shape() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    let name = AccountName::parse("Nope").unwrap();
    let password = Password::parse("creditdesk-test").unwrap();

    let refused = [
        (tree.customer_one.id, AccountKind::Customer),
        (tree.direct.id, AccountKind::DirectReseller),
        (ledger.platform_id(), AccountKind::Reseller),
    ];
    for (parent, kind) in refused {
        let login = Login::parse(&format!("nope-{}", kind.as_str())).unwrap();
        let error = ledger
            .open_account(parent, kind, &name, &login, &password)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ledger::OpenAccountError::KindNotAllowed { .. }),
            "{error:?}"
        );
    }
    let subs = ledger.sub_accounts(tree.direct.id).await.unwrap();
    let names: Vec<_> = subs.iter().map(|a| a.account.name.as_str()).collect();
    assert_eq!(names, ["Customer One", "Reseller One", "Reseller Two"]);
}

#[tokio::test]
async fn the_ledger_refuses_to_be_rewritten() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    worked_example_tree(&ledger).await;
    let mut raw = db.raw_connection().await;

    assert!(
        raw.execute("UPDATE transfers SET amount = 1000")
            .await
            .is_err()
    );
    assert!(raw.execute("DELETE FROM transfers").await.is_err());
    assert_clean(&ledger).await;
}

#[tokio::test]
async fn verify_reports_a_balance_that_drifted_from_the_ledger() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let tree = worked_example_tree(&ledger).await;
    let mut raw = db.raw_connection().await;

    raw.execute(
        format!(
            "UPDATE accounts SET balance = balance + 5 WHERE id = {}",
            tree.customer_one.id
        )
        .as_str(),
    )
    .await
    .unwrap();

    let report = ledger.verify().await.unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.total, 5);
    assert_eq!(report.drifts.len(), 1);
    assert_eq!(
        (report.drifts[0].balance, report.drifts[0].ledger_balance),
        (5, 0)
    );
}
