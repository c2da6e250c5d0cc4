//! An account's transfers a page at a time, and exported whole: the worked example's transfers with
//! their notes; each filter and their combinations against the whole list (read with one plain
//! statement, the oracle); page boundaries, including transfers made in the same millisecond; the export equal
//! to the pages; the balance over time; and who may read what.

use std::time::Duration;

use ledger::testing::{all_transfers, neighbours, seeded, transfer_request, with_worked_example};
use ledger::{
    AccountId, AccountTransfer, Actor, Clock, Credits, IdempotencyKey, Ledger, Note, ReadError,
    SearchText, TransferKind, TransferQuery, TransferRequest,
};

const PAGE: u32 = 50;

async fn page(ledger: &Ledger, actor: &Actor, query: &TransferQuery) -> ledger::TransferPage {
    ledger
        .transfer_page(actor, query)
        .await
        .unwrap_or_else(|error| panic!("{query:?}: {error:?}"))
}

/// Every page from the newest by "Older", then back by "Newer": the transfers of each walk.
async fn walk_both_ways(
    ledger: &Ledger,
    actor: &Actor,
    query: &TransferQuery,
) -> (Vec<AccountTransfer>, Vec<AccountTransfer>) {
    let mut query = query.clone();
    let mut current = page(ledger, actor, &query).await;
    assert!(current.previous.is_none(), "the newest page has no newer");
    let mut forward = Vec::new();
    loop {
        forward.extend(current.rows.clone());
        match current.next.take() {
            Some(next) => {
                query.cursor = Some(next);
                current = page(ledger, actor, &query).await;
            }
            None => break,
        }
    }
    let mut back = current.rows.clone();
    while let Some(previous) = current.previous.take() {
        query.cursor = Some(previous);
        current = page(ledger, actor, &query).await;
        assert_eq!(
            current.rows.len(),
            query.limit as usize,
            "pages before the oldest are full"
        );
        back.splice(0..0, current.rows.clone());
    }
    (forward, back)
}

async fn export(ledger: &Ledger, actor: &Actor, query: &TransferQuery) -> Vec<AccountTransfer> {
    let mut export = ledger.transfer_export(actor, query).await.unwrap();
    let mut rows = Vec::new();
    while let Some(chunk) = export.next_chunk().await.unwrap() {
        assert!(chunk.len() <= ledger::EXPORT_CHUNK_ROWS);
        rows.extend(chunk);
    }
    rows
}

fn note_request(sub_account: AccountId, credits: i64, note: &str) -> TransferRequest {
    TransferRequest {
        sub_account,
        credits: Credits::new(credits).unwrap(),
        note: Note::parse(note).unwrap(),
        key: IdempotencyKey::generate(),
    }
}

#[tokio::test]
async fn the_worked_example_shows_each_transfer_with_its_note_newest_first() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    for account in example.sub_accounts() {
        ledger
            .grant(direct, &note_request(account, 30, "June order"))
            .await
            .unwrap();
    }

    let own = page(&ledger, direct, &TransferQuery::of(None, PAGE)).await;
    assert_eq!(own.account.balance, 10);
    let lines: Vec<_> = own
        .rows
        .iter()
        .map(|t| {
            (
                t.kind,
                t.counterparty.as_str(),
                t.change,
                t.balance_after,
                t.note.as_str(),
                t.actor.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (
                TransferKind::Grant,
                "Customer One",
                -30,
                10,
                "June order",
                "direct"
            ),
            (
                TransferKind::Grant,
                "Reseller Two",
                -30,
                40,
                "June order",
                "direct"
            ),
            (
                TransferKind::Grant,
                "Reseller One",
                -30,
                70,
                "June order",
                "direct"
            ),
            (
                TransferKind::TopUp,
                "Platform",
                100,
                100,
                "Demo opening balance",
                "test"
            ),
        ]
    );
    assert_eq!((own.next, own.previous), (None, None));

    let theirs = page(
        &ledger,
        direct,
        &TransferQuery::of(Some(example.reseller_one), PAGE),
    )
    .await;
    assert_eq!(theirs.account.name, "Reseller One");
    let grant = &theirs.rows[0];
    assert_eq!(
        (
            grant.kind,
            grant.counterparty.as_str(),
            grant.counterparty_id,
            grant.change,
            grant.balance_after,
            grant.note.as_str(),
            grant.actor.as_str()
        ),
        (
            TransferKind::Grant,
            "Direct Reseller",
            direct.account(),
            30,
            30,
            "June order",
            "direct"
        )
    );
}

#[tokio::test]
async fn each_filter_and_their_combinations_show_exactly_the_matching_transfers() {
    let (db, ledger, dataset) = seeded(150, 1_200).await;
    let direct = &dataset.direct;
    let all = all_transfers(&db, direct.account()).await;
    assert!(all.len() > 800, "most transfers are the direct reseller's");
    let some_customer = dataset.sub_accounts[7];
    let times: Vec<i64> = all.iter().map(|t| t.created_at).collect();
    let (newest, oldest) = (times[0], times[times.len() - 1]);
    let (since, until) = (
        oldest + (newest - oldest) / 4,
        oldest + (newest - oldest) * 3 / 4,
    );

    type Keep = Box<dyn Fn(&AccountTransfer) -> bool>;
    let cases: Vec<(TransferQuery, Keep)> = vec![
        (TransferQuery::of(None, PAGE), Box::new(|_| true)),
        (
            TransferQuery {
                since: Some(since),
                until: Some(until),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(move |t| since <= t.created_at && t.created_at < until),
        ),
        (
            TransferQuery {
                kind: Some(TransferKind::Revoke),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(|t| t.kind == TransferKind::Revoke),
        ),
        (
            TransferQuery {
                kind: Some(TransferKind::TopUp),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(|t| t.kind == TransferKind::TopUp),
        ),
        (
            TransferQuery {
                counterparty: Some(some_customer),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(move |t| t.counterparty_id == some_customer),
        ),
        (
            TransferQuery {
                note: SearchText::parse("INVOICE inv-0"),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(|t| t.note.to_ascii_lowercase().contains("invoice inv-0")),
        ),
        (
            TransferQuery {
                note: SearchText::parse("unused"),
                ..TransferQuery::of(None, PAGE)
            },
            Box::new(|t| t.note.contains("unused")),
        ),
        (
            TransferQuery {
                since: Some(since),
                kind: Some(TransferKind::Grant),
                note: SearchText::parse("campaign"),
                ..TransferQuery::of(None, 7)
            },
            Box::new(move |t| {
                since <= t.created_at
                    && t.kind == TransferKind::Grant
                    && t.note.to_ascii_lowercase().contains("campaign")
            }),
        ),
    ];
    for (query, keep) in cases {
        let expected: Vec<AccountTransfer> = all.iter().filter(|t| keep(t)).cloned().collect();
        assert!(!expected.is_empty(), "{query:?} matches something");
        let (forward, back) = walk_both_ways(&ledger, direct, &query).await;
        assert_eq!(forward, expected, "{query:?}");
        assert_eq!(back, expected, "{query:?} back");
        assert_eq!(
            export(&ledger, direct, &query).await,
            expected,
            "{query:?} export"
        );
    }

    // Wildcards in the note search are plain characters.
    let percent = TransferQuery {
        note: SearchText::parse("%"),
        ..TransferQuery::of(None, PAGE)
    };
    assert!(page(&ledger, direct, &percent).await.rows.is_empty());
}

#[tokio::test]
async fn transfers_made_in_the_same_millisecond_are_each_on_exactly_one_page() {
    let (db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let frozen = ledger.clone().with_clock(Clock::manual(1_795_635_600_000));
    for n in 0..23 {
        frozen
            .grant(direct, &transfer_request(example.sub_accounts()[n % 3], 1))
            .await
            .unwrap();
    }
    let all = all_transfers(&db, direct.account()).await;
    for limit in [1, 2, 5, 24, 25] {
        let (forward, back) =
            walk_both_ways(&ledger, direct, &TransferQuery::of(None, limit)).await;
        assert_eq!(forward, all, "pages of {limit}");
        assert_eq!(back, all, "pages of {limit}, back");
    }
}

#[tokio::test]
async fn an_export_holds_every_matching_transfer_across_chunks_and_none_made_after_it_started() {
    let (db, ledger, dataset) = seeded(50, 2_300).await;
    let direct = &dataset.direct;
    let query = TransferQuery::of(None, PAGE);
    let all = all_transfers(&db, direct.account()).await;
    assert!(all.len() > 2 * ledger::EXPORT_CHUNK_ROWS);

    let mut started = ledger.transfer_export(direct, &query).await.unwrap();
    let mut rows = started.next_chunk().await.unwrap().unwrap();
    ledger
        .grant(direct, &transfer_request(dataset.sub_accounts[0], 1))
        .await
        .unwrap();
    while let Some(chunk) = started.next_chunk().await.unwrap() {
        rows.extend(chunk);
    }
    assert_eq!(rows, all);
}

#[tokio::test]
async fn the_balance_over_time_is_the_balance_after_the_last_transfer_before_each_moment() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let start = 1_795_635_600_000;
    let clock = Clock::manual(start);
    let timed = ledger.clone().with_clock(clock.clone());
    let one = example.reseller_one;
    for (credits, revoke) in [(30, false), (10, true), (50, false)] {
        clock.advance(Duration::from_secs(3600));
        let request = transfer_request(one, credits);
        if revoke {
            timed.revoke(direct, &request).await.unwrap();
        } else {
            timed.grant(direct, &request).await.unwrap();
        }
    }
    // 1 h: 30, 2 h: 20, 3 h: 70; points every 30 minutes from 0:30 to 3:30, asked at 4 h.
    clock.advance(Duration::from_secs(3600));
    let hour = 3_600_000;
    let points = timed
        .balance_history(
            direct,
            Some(one),
            Some(start + hour / 2),
            Some(start + 7 * hour / 2),
            6,
        )
        .await
        .unwrap();
    let balances: Vec<(i64, i64)> = points
        .iter()
        .map(|p| ((p.at - start) / (hour / 2), p.balance))
        .collect();
    assert_eq!(
        balances,
        [(1, 0), (2, 30), (3, 30), (4, 20), (5, 20), (6, 70), (7, 70)]
    );

    // Without a range: from the first transfer to now; a range into the future ends now.
    let whole = timed
        .balance_history(direct, Some(one), None, None, 4)
        .await
        .unwrap();
    assert_eq!(
        whole.first().map(|p| (p.at, p.balance)),
        Some((start + hour, 30))
    );
    assert_eq!(
        whole.last().map(|p| (p.at, p.balance)),
        Some((start + 4 * hour, 70))
    );
    let ahead = timed
        .balance_history(direct, Some(one), Some(start), Some(start + 100 * hour), 4)
        .await
        .unwrap();
    assert_eq!(ahead.last().map(|p| p.at), Some(start + 4 * hour));
}

#[tokio::test]
async fn an_actor_reads_its_subtree_only_and_a_foreign_counterparty_finds_nothing() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let n = neighbours(&ledger).await;
    ledger
        .grant(direct, &transfer_request(n.reseller_one.account(), 30))
        .await
        .unwrap();
    ledger
        .grant(
            &n.reseller_one,
            &transfer_request(n.grandchild.account(), 12),
        )
        .await
        .unwrap();

    for (reader, account) in [
        (&n.reseller_one, direct.account()),
        (&n.reseller_one, example.reseller_two),
        (&n.grandchild, n.reseller_one.account()),
        (&n.customer_one, direct.account()),
        (direct, n.stranger.account()),
        (direct, n.strangers_customer.account()),
        (direct, ledger.platform_id()),
        (direct, AccountId(424_242)),
    ] {
        let query = TransferQuery::of(Some(account), PAGE);
        assert!(
            matches!(
                ledger.transfer_page(reader, &query).await,
                Err(ReadError::NotVisible)
            ),
            "{} reads {account}",
            reader.name()
        );
        assert!(matches!(
            ledger.transfer_export(reader, &query).await,
            Err(ReadError::NotVisible)
        ));
        assert!(matches!(
            ledger
                .balance_history(reader, Some(account), None, None, 10)
                .await,
            Err(ReadError::NotVisible)
        ));
    }

    // Allowed: one's own, and below. A counterparty elsewhere only narrows to nothing.
    let grandchild = page(
        &ledger,
        direct,
        &TransferQuery::of(Some(n.grandchild.account()), PAGE),
    )
    .await;
    assert_eq!(grandchild.rows.len(), 1);
    let own = page(&ledger, &n.grandchild, &TransferQuery::of(None, PAGE)).await;
    assert_eq!(own.rows, grandchild.rows);
    for counterparty in [
        n.stranger.account(),
        n.strangers_customer.account(),
        AccountId(424_242),
    ] {
        let query = TransferQuery {
            counterparty: Some(counterparty),
            ..TransferQuery::of(None, PAGE)
        };
        assert!(page(&ledger, direct, &query).await.rows.is_empty());
    }
}
