//! Grants, revokes and top-ups: every rule of a credit movement, against a real database (SQLite by
//! default, PostgreSQL with TEST_DATABASE_URL). Every test starts from the worked example: `direct`
//! with 100 credits and three sub-accounts at 0.

use ledger::testing::{
    assert_verified, balance, neighbours, operator, top_up, transfer_request, with_worked_example,
};
use ledger::{
    AccountId, AccountKind, Backend, Credits, IdempotencyKey, Ledger, Note, TopUp, Transfer,
    TransferError, TransferKind, TransferRequest, WorkedExample,
};
use sqlx::Executor;

#[tokio::test]
async fn a_grant_moves_credits_to_the_sub_account_and_records_both_balances() {
    let (_db, ledger, example) = with_worked_example().await;
    let request = TransferRequest {
        note: Note::parse("June order").unwrap(),
        ..transfer_request(example.reseller_one, 30)
    };

    let transfer = ledger.grant(&example.direct, &request).await.unwrap();

    assert_eq!(transfer.kind, TransferKind::Grant);
    assert_eq!(
        (transfer.from, transfer.to),
        (example.direct.account(), example.reseller_one)
    );
    assert_eq!(
        (transfer.from_balance_after, transfer.to_balance_after),
        (70, 30)
    );
    assert_eq!(transfer.note, "June order");
    assert_eq!(transfer.actor, "direct");
    assert_eq!(transfer.actor_account, example.direct.account());
    assert_eq!(balance(&ledger, example.direct.account()).await, 70);
    assert_eq!(balance(&ledger, example.reseller_one).await, 30);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_revoke_moves_credits_back_to_the_parent() {
    let (_db, ledger, example) = with_worked_example().await;
    let customer_one = example.customer_one;
    ledger
        .grant(&example.direct, &transfer_request(customer_one, 30))
        .await
        .unwrap();

    let transfer = ledger
        .revoke(&example.direct, &transfer_request(customer_one, 5))
        .await
        .unwrap();

    assert_eq!(transfer.kind, TransferKind::Revoke);
    assert_eq!(
        (transfer.from, transfer.to),
        (customer_one, example.direct.account())
    );
    assert_eq!(
        (transfer.from_balance_after, transfer.to_balance_after),
        (25, 75)
    );
    assert_eq!(balance(&ledger, customer_one).await, 25);
    assert_eq!(balance(&ledger, example.direct.account()).await, 75);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn balance_after_gives_each_partys_balance_and_nothing_for_a_third_account() {
    let (_db, ledger, example) = with_worked_example().await;
    let (direct, reseller_one) = (example.direct.account(), example.reseller_one);

    let grant = ledger
        .grant(&example.direct, &transfer_request(reseller_one, 30))
        .await
        .unwrap();
    let revoke = ledger
        .revoke(&example.direct, &transfer_request(reseller_one, 8))
        .await
        .unwrap();

    assert_eq!(grant.balance_after(direct), Some(70));
    assert_eq!(grant.balance_after(reseller_one), Some(30));
    assert_eq!(revoke.balance_after(reseller_one), Some(22));
    assert_eq!(revoke.balance_after(direct), Some(78));
    for transfer in [&grant, &revoke] {
        assert_eq!(transfer.balance_after(example.reseller_two), None);
        assert_eq!(transfer.balance_after(ledger.platform_id()), None);
    }
}

#[tokio::test]
async fn a_grant_over_the_balance_is_refused_and_moves_nothing() {
    let (_db, ledger, example) = with_worked_example().await;

    let error = ledger
        .grant(
            &example.direct,
            &transfer_request(example.reseller_one, 101),
        )
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
    assert_eq!(balance(&ledger, example.direct.account()).await, 100);
    assert_eq!(balance(&ledger, example.reseller_one).await, 0);
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 1);
}

#[tokio::test]
async fn a_revoke_over_the_sub_accounts_balance_is_refused_and_moves_nothing() {
    let (_db, ledger, example) = with_worked_example().await;
    let reseller_two = example.reseller_two;
    ledger
        .grant(&example.direct, &transfer_request(reseller_two, 5))
        .await
        .unwrap();

    let error = ledger
        .revoke(&example.direct, &transfer_request(reseller_two, 8))
        .await
        .unwrap_err();

    match error {
        TransferError::SubAccountShort {
            name,
            available,
            requested,
        } => assert_eq!(
            (name.as_str(), available, requested),
            ("Reseller Two", 5, 8)
        ),
        other => panic!("expected SubAccountShort, got {other:?}"),
    }
    assert_eq!(balance(&ledger, reseller_two).await, 5);
    assert_eq!(balance(&ledger, example.direct.account()).await, 95);
    assert_verified(&ledger).await;
}

#[test]
fn zero_credits_cannot_even_be_asked_for() {
    // `Credits` is the only way into a transfer, so zero never reaches the database.
    assert!(Credits::new(0).is_err());
    assert!(Credits::new(-1).is_err());
}

#[tokio::test]
async fn only_direct_sub_accounts_can_be_targets() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    ledger
        .grant(direct, &transfer_request(example.reseller_one, 30))
        .await
        .unwrap();
    let n = neighbours(&ledger).await;

    let not_mine = [
        (direct, n.grandchild.account()),
        (direct, n.stranger.account()),
        (direct, n.strangers_customer.account()),
        (direct, direct.account()),
        (direct, ledger.platform_id()),
        (direct, AccountId(999_999)),
        (&n.reseller_one, direct.account()),
        (&n.reseller_one, example.reseller_two),
        (&n.stranger, example.customer_one),
    ];
    for (actor, target) in not_mine {
        let grant = ledger
            .grant(actor, &transfer_request(target, 1))
            .await
            .unwrap_err();
        let revoke = ledger
            .revoke(actor, &transfer_request(target, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(grant, TransferError::SubAccountNotFound),
            "{} grants to {target}: {grant:?}",
            actor.name()
        );
        assert!(
            matches!(revoke, TransferError::SubAccountNotFound),
            "{} revokes from {target}: {revoke:?}",
            actor.name()
        );
    }
    assert_eq!(balance(&ledger, direct.account()).await, 70);
    assert_eq!(balance(&ledger, example.reseller_one).await, 30);
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 2);
}

#[tokio::test]
async fn the_same_idempotency_key_twice_moves_credits_once_and_returns_the_first_result() {
    let (_db, ledger, example) = with_worked_example().await;
    let once = transfer_request(example.reseller_one, 30);

    let first = ledger.grant(&example.direct, &once).await.unwrap();
    let second = ledger.grant(&example.direct, &once).await.unwrap();

    assert_eq!(first.transfer, second.transfer);
    assert!(!first.replayed, "the first call applies the transfer");
    assert!(second.replayed, "the second call only repeats its answer");
    assert_eq!(balance(&ledger, example.direct.account()).await, 70);
    assert_eq!(balance(&ledger, example.reseller_one).await, 30);
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 2);
}

#[tokio::test]
async fn a_key_reused_for_a_different_transfer_is_refused() {
    let (_db, ledger, example) = with_worked_example().await;
    let first = transfer_request(example.reseller_one, 30);
    ledger.grant(&example.direct, &first).await.unwrap();

    let other_amount = TransferRequest {
        credits: Credits::new(31).unwrap(),
        ..first.clone()
    };
    let other_target = TransferRequest {
        sub_account: example.reseller_two,
        ..first.clone()
    };
    let other_note = TransferRequest {
        note: Note::parse("another reason").unwrap(),
        ..first.clone()
    };
    for different in [other_amount, other_target, other_note] {
        let error = ledger.grant(&example.direct, &different).await.unwrap_err();
        assert!(matches!(error, TransferError::KeyReused), "{error:?}");
    }
    let as_revoke = ledger.revoke(&example.direct, &first).await.unwrap_err();
    assert!(
        matches!(as_revoke, TransferError::KeyReused),
        "{as_revoke:?}"
    );
    assert_eq!(balance(&ledger, example.direct.account()).await, 70);
    assert_eq!(balance(&ledger, example.reseller_two).await, 0);
}

#[tokio::test]
async fn keys_are_scoped_to_the_acting_account() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct_grant = transfer_request(example.reseller_one, 30);
    ledger.grant(&example.direct, &direct_grant).await.unwrap();
    let n = neighbours(&ledger).await;

    // The same key from another account is a new transfer of that account's, not a replay.
    let theirs = ledger
        .grant(
            &n.reseller_one,
            &TransferRequest {
                sub_account: n.grandchild.account(),
                credits: Credits::new(10).unwrap(),
                ..direct_grant
            },
        )
        .await
        .unwrap();

    assert_eq!(
        (theirs.from, theirs.to, theirs.amount),
        (example.reseller_one, n.grandchild.account(), 10)
    );
    assert_eq!(theirs.actor, "reseller1");
    assert_verified(&ledger).await;
}

/// A double click that reaches the ledger ten times at once: 60 of 100 credits, so a second
/// movement could not be paid for and only a replay of the first can answer the others.
async fn grant_60_ten_times_at_once(
    ledger: &Ledger,
    example: &WorkedExample,
) -> Vec<Result<Transfer, TransferError>> {
    let double_click = transfer_request(example.reseller_one, 60);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (ledger, actor, request) =
                (ledger.clone(), example.direct.clone(), double_click.clone());
            tokio::spawn(async move { ledger.grant(&actor, &request).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap().map(|applied| applied.transfer));
    }
    answers
}

#[tokio::test]
async fn the_same_key_from_many_tasks_at_once_moves_credits_once() {
    let (_db, ledger, example) = with_worked_example().await;

    let answers = grant_60_ten_times_at_once(&ledger, &example).await;

    let transfers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    assert!(
        transfers.iter().all(|transfer| *transfer == transfers[0]),
        "{transfers:?}"
    );
    assert_eq!(balance(&ledger, example.direct.account()).await, 40);
    assert_eq!(balance(&ledger, example.reseller_one).await, 60);
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 2);
}

#[tokio::test]
async fn every_attempt_with_the_same_key_at_once_answers_with_the_first_transfer() {
    let (_db, ledger, example) = with_worked_example().await;

    let answers = grant_60_ten_times_at_once(&ledger, &example).await;

    let first = answers
        .iter()
        .find_map(|answer| answer.as_ref().ok())
        .expect("one attempt moves credits");
    for answer in &answers {
        assert_eq!(answer.as_ref().ok(), Some(first), "{answer:?}");
    }
}

#[tokio::test]
async fn a_refused_request_id_stays_refused_after_the_balance_changes() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let too_much = transfer_request(example.reseller_one, 150);
    let first = ledger.grant(direct, &too_much).await.unwrap_err();

    top_up(&ledger, direct.account(), 100).await;
    let retry = ledger.grant(direct, &too_much).await.unwrap_err();

    for refusal in [first, retry] {
        assert!(
            matches!(
                refusal,
                TransferError::NotEnoughCredits {
                    available: 100,
                    requested: 150
                }
            ),
            "{refusal:?}"
        );
    }
    let other_amount = TransferRequest {
        credits: Credits::new(100).unwrap(),
        ..too_much.clone()
    };
    let reused = ledger.grant(direct, &other_amount).await.unwrap_err();
    assert!(matches!(reused, TransferError::KeyReused), "{reused:?}");
    assert_eq!(balance(&ledger, direct.account()).await, 200);
    assert_eq!(balance(&ledger, example.reseller_one).await, 0);
    let fresh = ledger
        .grant(direct, &transfer_request(example.reseller_one, 150))
        .await;
    assert_eq!(fresh.unwrap().from_balance_after, 50);
}

/// Two servers on one database: the same request id through two ledger handles (two pools) at once,
/// for a grant the sender can pay once. Round after round, both answers must be that one transfer; a
/// refusal for an id that moved credits would send the user to give twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_through_two_ledgers_at_once_always_answers_with_the_one_transfer() {
    let (db, ledger, example) = with_worked_example().await;
    let other_server = db.ledger().await;
    let direct = &example.direct;

    for round in 0..300 {
        let once = transfer_request(example.reseller_one, 100);
        let (a, b) = tokio::join!(
            ledger.grant(direct, &once),
            other_server.grant(direct, &once)
        );
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.transfer, b.transfer, "round {round}");
                assert!(
                    a.replayed != b.replayed,
                    "round {round}: one moved, one replayed"
                );
            }
            answers => panic!("round {round}: {answers:?}"),
        }
        ledger
            .revoke(direct, &transfer_request(example.reseller_one, 100))
            .await
            .unwrap();
    }
    assert_eq!(balance(&ledger, example.direct.account()).await, 100);
    assert_eq!(
        ledger.verify(&operator()).await.unwrap().transfers,
        1 + 2 * 300
    );
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn fifty_concurrent_grants_never_overdraw_and_conserve_the_total() {
    let (_db, ledger, example) = with_worked_example().await;
    let targets = example.sub_accounts();

    // 50 grants of 7 from 100 credits: at most 14 can succeed.
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (ledger, actor) = (ledger.clone(), example.direct.clone());
            let target = targets[i % targets.len()];
            tokio::spawn(async move { ledger.grant(&actor, &transfer_request(target, 7)).await })
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
    let direct = balance(&ledger, example.direct.account()).await;
    let mut given = 0;
    for sub in targets {
        given += balance(&ledger, sub).await;
    }
    assert_eq!(direct, 100 - 14 * 7);
    assert_eq!(direct + given, 100);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn concurrent_grants_and_revokes_in_both_directions_finish_and_conserve() {
    let (_db, ledger, example) = with_worked_example().await;
    for request in example.sub_accounts().map(|sub| transfer_request(sub, 30)) {
        ledger.grant(&example.direct, &request).await.unwrap();
    }

    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (ledger, actor) = (ledger.clone(), example.direct.clone());
            let request = transfer_request(example.sub_accounts()[i % 3], 1 + (i as i64 % 4));
            tokio::spawn(async move {
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

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 100);
}

#[tokio::test]
async fn an_accounts_transfers_are_listed_newest_first_as_that_account_sees_them() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let noted = |sub_account, credits, note| TransferRequest {
        note: Note::parse(note).unwrap(),
        ..transfer_request(sub_account, credits)
    };
    ledger
        .grant(direct, &noted(example.reseller_one, 30, "first"))
        .await
        .unwrap();
    ledger
        .revoke(direct, &noted(example.reseller_one, 4, "second"))
        .await
        .unwrap();
    ledger
        .grant(direct, &noted(example.customer_one, 1, "third"))
        .await
        .unwrap();

    let listed = ledger
        .account_transfers(direct, Some(example.reseller_one), None, 10)
        .await
        .unwrap();

    let seen: Vec<_> = listed
        .iter()
        .map(|t| (t.note.as_str(), t.kind, t.change, t.balance_after))
        .collect();
    assert_eq!(
        seen,
        [
            ("second", TransferKind::Revoke, -4, 26),
            ("first", TransferKind::Grant, 30, 30)
        ]
    );
    assert!(
        listed
            .iter()
            .all(|t| t.counterparty == "Direct Reseller" && t.actor == "direct")
    );
    let older = ledger
        .account_transfers(direct, Some(example.reseller_one), Some(listed[0].id), 10)
        .await
        .unwrap();
    assert_eq!(older, listed[1..]);

    let own = ledger
        .account_transfers(direct, None, None, 2)
        .await
        .unwrap();
    let own: Vec<_> = own
        .iter()
        .map(|t| (t.counterparty.as_str(), t.change, t.balance_after))
        .collect();
    assert_eq!(own, [("Customer One", -1, 73), ("Reseller One", 4, 74)]);
}

#[tokio::test]
async fn a_top_up_goes_only_to_a_direct_reseller() {
    let (_db, ledger, example) = with_worked_example().await;

    for target in [
        example.reseller_one,
        example.customer_one,
        ledger.platform_id(),
        AccountId(424_242),
    ] {
        let top_up = TopUp {
            direct_reseller: target,
            credits: Credits::new(5).unwrap(),
            note: Note::parse("nope").unwrap(),
            key: IdempotencyKey::generate(),
        };
        let error = ledger.top_up(&operator(), &top_up).await.unwrap_err();
        assert!(
            matches!(error, TransferError::NotADirectReseller),
            "{target}: {error:?}"
        );
    }
    let report = ledger.verify(&operator()).await.unwrap();
    assert_eq!((report.in_circulation, report.transfers), (100, 1));
}

#[tokio::test]
async fn a_top_up_issues_new_credits_once_per_key_in_the_operators_name() {
    let (_db, ledger, example) = with_worked_example().await;
    let invoice = TopUp {
        direct_reseller: example.direct.account(),
        credits: Credits::new(250).unwrap(),
        note: Note::parse("Invoice 2026-001").unwrap(),
        key: IdempotencyKey::parse("invoice-2026-001").unwrap(),
    };

    let first = ledger.top_up(&operator(), &invoice).await.unwrap();
    let again = ledger.top_up(&operator(), &invoice).await.unwrap();

    assert_eq!(first.transfer, again.transfer);
    assert_eq!((first.replayed, again.replayed), (false, true));
    let other_amount = TopUp {
        credits: Credits::new(251).unwrap(),
        ..invoice
    };
    let reused = ledger.top_up(&operator(), &other_amount).await.unwrap_err();
    assert!(matches!(reused, TransferError::KeyReused), "{reused:?}");
    assert_eq!(first.kind, TransferKind::TopUp);
    assert_eq!(
        (first.from, first.to, first.actor.as_str()),
        (ledger.platform_id(), example.direct.account(), "test")
    );
    assert_eq!(first.balance_after(example.direct.account()), Some(350));
    assert_eq!(first.balance_after(ledger.platform_id()), Some(-350));
    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.in_circulation, report.transfers), (350, 2));
}

#[tokio::test]
async fn the_ledger_refuses_to_be_rewritten() {
    let (db, ledger, _) = with_worked_example().await;
    let mut raw = db.raw_connection().await;

    assert!(
        raw.execute("UPDATE transfers SET amount = 1000")
            .await
            .is_err()
    );
    assert!(raw.execute("DELETE FROM transfers").await.is_err());
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn the_ledger_cannot_be_emptied_and_accounts_never_move_or_change_kind() {
    let (db, ledger, example) = with_worked_example().await;
    let mut raw = db.raw_connection().await;

    let emptied = match ledger.backend() {
        Backend::Postgres => raw.execute("TRUNCATE transfers").await,
        // SQLite has no TRUNCATE: emptying a table is a DELETE without WHERE.
        Backend::Sqlite => raw.execute("DELETE FROM transfers").await,
    };
    assert!(emptied.is_err(), "the ledger was emptied");
    let (customer_one, reseller_two) = (example.customer_one, example.reseller_two);
    let platform = ledger.platform_id();
    for rewrite in [
        format!("UPDATE accounts SET parent_id = {reseller_two} WHERE id = {customer_one}"),
        format!("UPDATE accounts SET kind = 'reseller' WHERE id = {customer_one}"),
        format!(
            "UPDATE accounts SET kind = 'direct_reseller', parent_id = {platform} \
             WHERE id = {reseller_two}"
        ),
    ] {
        assert!(raw.execute(rewrite.as_str()).await.is_err(), "{rewrite}");
    }
    let customer = ledger
        .account(&operator(), customer_one)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (customer.kind, customer.parent_id),
        (AccountKind::Customer, Some(example.direct.account()))
    );
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 1);
}

#[tokio::test]
async fn verify_reports_a_balance_that_drifted_from_the_ledger() {
    let (db, ledger, example) = with_worked_example().await;
    let mut raw = db.raw_connection().await;

    raw.execute(
        format!(
            "UPDATE accounts SET balance = balance + 5 WHERE id = {}",
            example.customer_one
        )
        .as_str(),
    )
    .await
    .unwrap();

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.total, 5);
    assert_eq!(report.drifts.len(), 1);
    assert_eq!(report.drifts[0].account, example.customer_one);
    assert_eq!(
        (report.drifts[0].balance, report.drifts[0].ledger_balance),
        (5, 0)
    );
}
