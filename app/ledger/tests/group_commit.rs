//! Group commit: concurrent movements share transactions and commits, and each still gets the
//! answer it would get alone. SQLite by default, PostgreSQL with TEST_DATABASE_URL. Every test
//! starts from the worked example: `direct` with 100 credits and three sub-accounts at 0.

use std::time::Duration;

use ledger::testing::{
    TestDatabase, assert_verified, balance, operator, operator_key, top_up, transfer_request,
    usage_debit, with_worked_example,
};
use ledger::{
    Actor, Backend, GroupCommitStats, Ledger, StoreError, TransferError, TransferRequest,
    WorkedExample,
};
use sqlx::Executor;

/// What the writer did since `before`.
fn since(ledger: &Ledger, before: GroupCommitStats) -> GroupCommitStats {
    let now = ledger.group_commit_stats();
    GroupCommitStats {
        batches: now.batches - before.batches,
        movements: now.movements - before.movements,
        applied_alone: now.applied_alone - before.applied_alone,
    }
}

/// Grants `requests` from `direct`, all at once, in the order given; answers in the same order.
async fn grant_at_once(
    ledger: &Ledger,
    example: &WorkedExample,
    requests: Vec<TransferRequest>,
) -> Vec<Result<ledger::Applied, TransferError>> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let (ledger, actor) = (ledger.clone(), example.direct.clone());
            tokio::spawn(async move { ledger.grant(&actor, &request).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

/// Twenty grants of 5, which use up the direct reseller's 100 credits exactly, and a grant of 150,
/// which can never be paid.
fn all_credits_and_too_much(example: &WorkedExample) -> (Vec<TransferRequest>, TransferRequest) {
    let targets = example.sub_accounts();
    let grants = (0..20)
        .map(|i| transfer_request(targets[i % 3], 5))
        .collect();
    (grants, transfer_request(example.reseller_two, 150))
}

#[tokio::test]
async fn concurrent_grants_share_commits() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.group_commit_stats();
    let targets = example.sub_accounts();

    let requests = (0..64)
        .map(|i| transfer_request(targets[i % 3], 1))
        .collect();
    let answers = grant_at_once(&ledger, &example, requests).await;

    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    let grouped = since(&ledger, before);
    assert_eq!((grouped.movements, grouped.applied_alone), (64, 0));
    assert!(grouped.batches < 64, "no batch formed: {grouped:?}");
    assert_eq!(balance(&ledger, example.direct.account()).await, 36);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_refused_member_gets_its_own_error_and_the_rest_of_its_batch_commits() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.group_commit_stats();
    let (mut requests, too_much) = all_credits_and_too_much(&example);
    requests.insert(10, too_much.clone());

    let mut answers = grant_at_once(&ledger, &example, requests).await;

    let refused = answers.remove(10);
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    let Err(TransferError::NotEnoughCredits {
        available,
        requested: 150,
    }) = refused
    else {
        panic!("{refused:?}")
    };
    let grouped = since(&ledger, before);
    assert_eq!((grouped.movements, grouped.applied_alone), (21, 0));
    assert!(grouped.batches < 21, "no batch formed: {grouped:?}");
    assert_eq!(balance(&ledger, example.direct.account()).await, 0);
    assert_verified(&ledger).await;
    // The refusal was kept in the batch: after a top-up, the same request id is still refused.
    top_up(&ledger, example.direct.account(), 500).await;
    let retry = ledger.grant(&example.direct, &too_much).await.unwrap_err();
    assert!(
        matches!(retry, TransferError::NotEnoughCredits { available: a, .. } if a == available),
        "{retry:?}"
    );
}

#[tokio::test]
async fn the_same_request_id_twice_in_one_batch_moves_once_and_the_second_replays() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.group_commit_stats();
    let transfers_before = ledger.verify(&operator()).await.unwrap().transfers;
    let double_click = transfer_request(example.reseller_one, 60);

    let answers = grant_at_once(&ledger, &example, vec![double_click; 10]).await;

    let applied: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(applied.iter().filter(|a| !a.replayed).count(), 1);
    assert!(applied.iter().all(|a| a.transfer == applied[0].transfer));
    let grouped = since(&ledger, before);
    // Answered inside the batch, from the first's uncommitted transfer: no fallback to the unique
    // index and a transaction of its own.
    assert_eq!(grouped.applied_alone, 0, "{grouped:?}");
    assert!(grouped.batches < 10, "no batch formed: {grouped:?}");
    assert_eq!(
        ledger.verify(&operator()).await.unwrap().transfers,
        transfers_before + 1
    );
    assert_eq!(balance(&ledger, example.reseller_one).await, 60);
    assert_verified(&ledger).await;
}

/// A request id refused for lack of credits and sent again later in the same batch gets its first
/// answer, kept in the batch, even though the balance has moved since: the same refusal, in the same
/// words, with no second refusal written (which the unique index would refuse, breaking the batch).
#[tokio::test]
async fn a_request_id_refused_in_a_batch_is_refused_the_same_way_later_in_it() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.group_commit_stats();
    let (mut requests, too_much) = all_credits_and_too_much(&example);
    requests.insert(5, too_much.clone());
    requests.insert(15, too_much);

    let mut answers = grant_at_once(&ledger, &example, requests).await;

    let retried = answers.remove(15);
    let first = answers.remove(5);
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    for refused in [first, retried] {
        assert!(
            matches!(
                refused,
                Err(TransferError::NotEnoughCredits {
                    available: 75,
                    requested: 150
                })
            ),
            "{refused:?}"
        );
    }
    let grouped = since(&ledger, before);
    assert_eq!(
        (grouped.movements, grouped.applied_alone),
        (22, 0),
        "{grouped:?}"
    );
    assert_eq!(balance(&ledger, example.direct.account()).await, 0);
    assert_verified(&ledger).await;
}

/// A movement whose statement fails after its balances have moved (here a trigger refuses its
/// entry) leaves nothing behind: the whole batch is rolled back and its members are applied alone.
/// Everyone else's grant stands, and the failed one's caller hears of a store error.
#[tokio::test]
async fn a_movement_whose_statement_fails_leaves_nothing_and_the_rest_of_its_batch_stands() {
    let (db, ledger, example) = with_worked_example().await;
    let mut conn = db.raw_connection().await;
    let refuse_poison = match ledger.backend() {
        Backend::Sqlite => vec![
            "CREATE TRIGGER poison BEFORE INSERT ON transfers WHEN NEW.note = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poison'); END",
        ],
        Backend::Postgres => vec![
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.note = 'poison' THEN RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER poison BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    for statement in refuse_poison {
        conn.execute(statement).await.unwrap();
    }
    let before = ledger.group_commit_stats();
    let targets = example.sub_accounts();
    let mut requests: Vec<_> = (0..20)
        .map(|i| transfer_request(targets[i % 3], 1))
        .collect();
    let poison = TransferRequest {
        note: ledger::Note::parse("poison").unwrap(),
        ..transfer_request(example.reseller_two, 7)
    };
    requests.insert(10, poison);

    let mut answers = grant_at_once(&ledger, &example, requests).await;

    let failed = answers.remove(10);
    assert!(
        matches!(failed, Err(TransferError::Store(StoreError::Database(_)))),
        "{failed:?}"
    );
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert!(since(&ledger, before).applied_alone >= 1);
    assert_eq!(balance(&ledger, example.direct.account()).await, 80);
    assert_verified(&ledger).await;
}

/// The platform's gateway, which records usage.
async fn gateway(ledger: &Ledger) -> Actor {
    let secret = operator_key(ledger, "sms-gateway").await;
    ledger.actor_for_key(&secret).await.unwrap().unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_mixed_movements_from_many_tasks_conserve_every_credit() {
    const TASKS: usize = 32;
    const EACH: usize = 30;
    let (_db, ledger, example) = with_worked_example().await;
    top_up(&ledger, example.direct.account(), 900).await;
    for sub in example.sub_accounts() {
        ledger
            .grant(&example.direct, &transfer_request(sub, 50))
            .await
            .unwrap();
    }
    let gateway = gateway(&ledger).await;
    let before = ledger.group_commit_stats();

    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (ledger, example, gateway) = (ledger.clone(), example.clone(), gateway.clone());
            tokio::spawn(async move {
                let mut used = 0;
                for i in 0..EACH {
                    let sub = example.sub_accounts()[(task + i) % 3];
                    // Amounts large enough that some movements are refused for lack of credits.
                    let credits = 1 + ((task * 7 + i * 13) % 40) as i64;
                    let answer = match (task + i) % 3 {
                        0 => {
                            ledger
                                .grant(&example.direct, &transfer_request(sub, credits))
                                .await
                        }
                        1 => {
                            ledger
                                .revoke(&example.direct, &transfer_request(sub, credits))
                                .await
                        }
                        _ => ledger.usage(&gateway, &usage_debit(sub, credits)).await,
                    };
                    match answer {
                        Ok(applied) if applied.to == ledger.platform_id() => used += applied.amount,
                        Ok(_)
                        | Err(
                            TransferError::NotEnoughCredits { .. }
                            | TransferError::SubAccountShort { .. }
                            | TransferError::UsageShort { .. },
                        ) => {}
                        Err(other) => panic!("unexpected error: {other:?}"),
                    }
                }
                used
            })
        })
        .collect();
    let mut used = 0;
    for task in tasks {
        used += task.await.unwrap();
    }

    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 1_000 - used);
    let mut held = balance(&ledger, example.direct.account()).await;
    for sub in example.sub_accounts() {
        held += balance(&ledger, sub).await;
    }
    assert_eq!(held, 1_000 - used);
    let grouped = since(&ledger, before);
    assert_eq!(grouped.movements, (TASKS * EACH) as u64, "{grouped:?}");
    assert!(grouped.batches < grouped.movements, "{grouped:?}");
}

#[tokio::test]
async fn callers_that_stop_waiting_do_not_stop_their_batch() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.group_commit_stats();
    let targets = example.sub_accounts();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (ledger, actor) = (ledger.clone(), example.direct.clone());
            let request = transfer_request(targets[i % 3], 1);
            tokio::spawn(async move { ledger.grant(&actor, &request).await })
        })
        .collect();
    // Every task queues its grant, then half of them give up waiting for the answer.
    tokio::task::yield_now().await;
    let mut waiting = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if i % 2 == 0 {
            task.abort();
        } else {
            waiting.push(task);
        }
    }

    for task in waiting {
        task.await.unwrap().unwrap();
    }
    let grouped = since(&ledger, before);
    assert_eq!(grouped.movements, 32, "{grouped:?}");
    assert_eq!(balance(&ledger, example.direct.account()).await, 68);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_ledger_whose_writer_is_gone_answers_with_a_store_error() {
    let (db, _ledger, example) = with_worked_example().await;
    // A ledger made on a runtime that has since shut down: its writer task went with it.
    let orphan = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(db.ledger())
            })
            .join()
            .unwrap()
    });

    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        orphan.grant(&example.direct, &transfer_request(example.reseller_one, 1)),
    )
    .await
    .expect("an answer, not a hang");

    assert!(
        matches!(answer, Err(TransferError::Store(StoreError::Database(_)))),
        "{answer:?}"
    );
}

/// PostgreSQL: a batch deadlocks with another transaction while it locks its accounts, and is chosen
/// as the victim. It is rolled back and each of its movements is applied again on its own: no
/// caller sees the deadlock.
#[tokio::test]
async fn a_batch_that_deadlocks_is_applied_again_movement_by_movement() {
    let (db, ledger, example) = with_worked_example().await;
    if ledger.backend() == Backend::Sqlite {
        return; // one writer at a time: SQLite cannot deadlock
    }
    let before = ledger.group_commit_stats();
    let (direct, one, two) = (
        example.direct.account(),
        example.reseller_one,
        example.reseller_two,
    );
    let mut other = db.raw_connection().await;
    other.execute("BEGIN").await.unwrap();
    lock(&mut other, two).await;

    // One batch: it locks `direct`, `one` and `two` in id order, and waits for `two`.
    let batch = {
        let (ledger, actor) = (ledger.clone(), example.direct.clone());
        let (to_one, to_two) = (transfer_request(one, 10), transfer_request(two, 10));
        tokio::spawn(async move {
            tokio::join!(ledger.grant(&actor, &to_one), ledger.grant(&actor, &to_two))
        })
    };
    wait_for_a_lock_wait(&db).await;
    // The other transaction now waits for `direct`: a cycle, which PostgreSQL breaks after its
    // deadlock_timeout by cancelling the statement that waited first, the batch's.
    lock(&mut other, direct).await;
    other.execute("COMMIT").await.unwrap();

    let (first, second) = batch.await.unwrap();
    assert_eq!(first.unwrap().to_balance_after, 10);
    assert_eq!(second.unwrap().to_balance_after, 10);
    let grouped = since(&ledger, before);
    assert_eq!(
        (grouped.batches, grouped.movements, grouped.applied_alone),
        (0, 0, 2),
        "{grouped:?}"
    );
    assert_eq!(balance(&ledger, direct).await, 80);
    assert_verified(&ledger).await;
}

/// The benchmark's account of where the writer's time goes: every step of a committed batch is
/// timed, once, and within the time its caller waited.
#[tokio::test]
async fn a_committed_batch_times_each_of_its_steps_within_its_callers_wait() {
    let (_db, ledger, example) = with_worked_example().await;
    let before = ledger.batch_times();
    let started = std::time::Instant::now();
    ledger
        .grant(&example.direct, &transfer_request(example.customer_one, 30))
        .await
        .unwrap();
    let waited = started.elapsed();
    let spent = ledger.batch_times().since(&before);
    for (step, time) in [
        ("begin", spent.begin),
        ("read", spent.read),
        ("decide", spent.decide),
        ("write", spent.write),
        ("commit", spent.commit),
    ] {
        assert!(time > Duration::ZERO, "{step} was not timed: {spent:?}");
    }
    assert!(
        spent.total() <= waited,
        "{spent:?} adds up to more than the {waited:?} the caller waited"
    );
}

async fn lock(conn: &mut sqlx::AnyConnection, account: ledger::AccountId) {
    sqlx::query("UPDATE accounts SET balance = balance WHERE id = $1")
        .bind(account.0)
        .execute(conn)
        .await
        .unwrap();
}

/// Waits until some session of the test database waits for a row lock.
async fn wait_for_a_lock_wait(db: &TestDatabase) {
    let mut watcher = db.raw_connection().await;
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the batch never waited for the locked account");
}
