//! Manage Customers a page at a time: search, filters, sorts and keyset paging over a few thousand
//! generated sub-accounts return exactly the rows of the whole list (`Ledger::sub_accounts`, the
//! oracle) filtered and sorted the same way, none twice and none missing, even while transfers
//! change balances between the pages of a sort by balance.

use std::collections::HashSet;

use sqlx::Executor;

use ledger::testing::{actor, neighbours, seeded, transfer_request};
use ledger::{
    AccountId, AccountKind, AccountStatus, Actor, Ledger, ReadError, SearchText, SortDirection,
    SubAccount, SubAccountPage, SubAccountQuery, SubAccountSort,
};

const PAGE: u32 = 50;

async fn page(ledger: &Ledger, actor: &Actor, query: &SubAccountQuery) -> SubAccountPage {
    ledger
        .sub_account_page(actor, query)
        .await
        .unwrap_or_else(|error| panic!("{query:?}: {error:?}"))
}

fn ids(rows: &[SubAccount]) -> Vec<AccountId> {
    rows.iter().map(|row| row.account.id).collect()
}

/// Every page from the first by "Next page", then back to the first by "Previous page": the ids
/// of each walk, in the order shown.
async fn walk_both_ways(
    ledger: &Ledger,
    actor: &Actor,
    query: &SubAccountQuery,
) -> (Vec<AccountId>, Vec<AccountId>) {
    let mut forward = Vec::new();
    let mut query = query.clone();
    let mut current = page(ledger, actor, &query).await;
    assert!(current.previous.is_none(), "the first page has no previous");
    loop {
        assert!(current.rows.len() <= PAGE as usize);
        forward.extend(ids(&current.rows));
        match current.next.take() {
            Some(next) => {
                query.cursor = Some(next);
                current = page(ledger, actor, &query).await;
            }
            None => break,
        }
    }
    let mut back = ids(&current.rows);
    while let Some(previous) = current.previous.take() {
        query.cursor = Some(previous);
        current = page(ledger, actor, &query).await;
        assert_eq!(
            current.rows.len(),
            PAGE as usize,
            "pages before the last are full"
        );
        back.splice(0..0, ids(&current.rows));
    }
    (forward, back)
}

fn sorted(
    mut rows: Vec<SubAccount>,
    sort: SubAccountSort,
    direction: SortDirection,
) -> Vec<AccountId> {
    rows.sort_by(|a, b| {
        let (a, b) = (&a.account, &b.account);
        let by_key = match sort {
            SubAccountSort::Name => a
                .name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase()),
            SubAccountSort::Balance => a.balance.cmp(&b.balance),
            SubAccountSort::Created => a.created_at.cmp(&b.created_at),
        };
        by_key.then(a.id.cmp(&b.id))
    });
    if direction == SortDirection::Descending {
        rows.reverse();
    }
    ids(&rows)
}

fn query(sort: SubAccountSort, direction: SortDirection) -> SubAccountQuery {
    SubAccountQuery {
        sort,
        direction,
        ..SubAccountQuery::by_name(PAGE)
    }
}

#[tokio::test]
async fn every_sort_pages_forward_and_back_through_every_sub_account_once_in_order() {
    let (_db, ledger, dataset) = seeded(2_000, 1_500).await;
    let direct = &dataset.direct;
    let all = ledger.sub_accounts(direct).await.unwrap();
    assert_eq!(all.len(), 2_003);

    for sort in [
        SubAccountSort::Name,
        SubAccountSort::Balance,
        SubAccountSort::Created,
    ] {
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            let expected = sorted(all.clone(), sort, direction);
            let (forward, back) = walk_both_ways(&ledger, direct, &query(sort, direction)).await;
            assert_eq!(forward, expected, "{sort:?} {direction:?} forward");
            assert_eq!(back, expected, "{sort:?} {direction:?} back");
        }
    }
}

#[tokio::test]
async fn the_first_page_counts_every_match_and_the_credits_they_hold() {
    let (_db, ledger, dataset) = seeded(600, 900).await;
    let direct = &dataset.direct;
    let all = ledger.sub_accounts(direct).await.unwrap();

    let first = page(&ledger, direct, &SubAccountQuery::by_name(PAGE)).await;
    assert_eq!(first.rows.len(), PAGE as usize);
    assert_eq!(first.matching, 603);
    assert_eq!(
        first.matching_credits,
        all.iter().map(|row| row.account.balance).sum::<i64>()
    );
    assert!(first.matching_credits > 0);
}

#[tokio::test]
async fn each_filter_shows_exactly_the_sub_accounts_of_that_type_and_status() {
    let (_db, ledger, dataset) = seeded(800, 1_000).await;
    let direct = &dataset.direct;
    let all = ledger.sub_accounts(direct).await.unwrap();

    for kind in [
        None,
        Some(AccountKind::Reseller),
        Some(AccountKind::Customer),
    ] {
        for status in [
            None,
            Some(AccountStatus::Active),
            Some(AccountStatus::Suspended),
        ] {
            let matching: Vec<SubAccount> = all
                .iter()
                .filter(|row| kind.is_none_or(|kind| row.account.kind == kind))
                .filter(|row| status.is_none_or(|status| row.account.status == status))
                .cloned()
                .collect();
            assert!(!matching.is_empty(), "{kind:?} {status:?} has rows");
            let query = SubAccountQuery {
                kind,
                status,
                ..query(SubAccountSort::Balance, SortDirection::Descending)
            };
            let (forward, back) = walk_both_ways(&ledger, direct, &query).await;
            let expected = sorted(
                matching.clone(),
                SubAccountSort::Balance,
                SortDirection::Descending,
            );
            assert_eq!(forward, expected, "{kind:?} {status:?}");
            assert_eq!(back, expected, "{kind:?} {status:?} back");
            let first = page(&ledger, direct, &query).await;
            assert_eq!(first.matching, matching.len() as i64, "{kind:?} {status:?}");
            assert_eq!(
                first.matching_credits,
                matching.iter().map(|row| row.account.balance).sum::<i64>(),
                "{kind:?} {status:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_search_matches_the_start_of_a_name_or_of_a_login_whatever_the_case() {
    let (_db, ledger, dataset) = seeded(1_500, 500).await;
    let direct = &dataset.direct;
    let all = ledger.sub_accounts(direct).await.unwrap();
    let starts = |text: &str, row: &SubAccount| {
        row.account.name.to_ascii_lowercase().starts_with(text)
            || row
                .login
                .as_deref()
                .is_some_and(|login| login.starts_with(text))
    };

    for typed in [
        "ACME t",
        "acme",
        "Reseller",
        "blue.media",
        "b",
        "customer one",
    ] {
        let text = typed.to_ascii_lowercase();
        let matching: Vec<SubAccount> = all
            .iter()
            .filter(|row| starts(&text, row))
            .cloned()
            .collect();
        assert!(!matching.is_empty(), "{typed:?} matches something");
        let query = SubAccountQuery {
            search: SearchText::parse(typed),
            ..query(SubAccountSort::Name, SortDirection::Ascending)
        };
        let (forward, back) = walk_both_ways(&ledger, direct, &query).await;
        let expected = sorted(
            matching.clone(),
            SubAccountSort::Name,
            SortDirection::Ascending,
        );
        assert_eq!(forward, expected, "{typed:?}");
        assert_eq!(back, expected, "{typed:?} back");
        let first = page(&ledger, direct, &query).await;
        assert_eq!(first.matching, matching.len() as i64, "{typed:?}");
        assert_eq!(
            first.matching_credits,
            matching.iter().map(|row| row.account.balance).sum::<i64>()
        );
    }

    // A prefix search: a word in the middle of a name does not match.
    let middle = SubAccountQuery {
        search: SearchText::parse("Telecom"),
        ..SubAccountQuery::by_name(PAGE)
    };
    assert_eq!(page(&ledger, direct, &middle).await.matching, 0);
}

#[tokio::test]
async fn while_transfers_move_balances_a_walk_by_balance_shows_each_sub_account_once() {
    let (_db, ledger, dataset) = seeded(1_200, 1_500).await;
    let direct = &dataset.direct;
    let accounts = &dataset.sub_accounts;

    for direction in [SortDirection::Ascending, SortDirection::Descending] {
        let mut query = query(SubAccountSort::Balance, direction);
        let mut seen = Vec::new();
        let mut current = page(&ledger, direct, &query).await;
        let mut round = 0;
        loop {
            seen.extend(ids(&current.rows));
            // Between pages: raise some rows already shown past the cursor and some not yet shown,
            // and empty others, so that every row that moved crosses the cursor one way or another.
            round += 1;
            for (n, account) in accounts
                .iter()
                .enumerate()
                .filter(|(n, _)| n % 97 == round % 97)
            {
                let balance = ledger::testing::balance(&ledger, *account).await;
                let status = ledger
                    .account(&ledger::testing::operator(), *account)
                    .await
                    .unwrap()
                    .unwrap()
                    .status;
                if n % 2 == 0 && status == AccountStatus::Active {
                    ledger
                        .grant(direct, &transfer_request(*account, 400))
                        .await
                        .unwrap();
                } else if balance > 0 {
                    ledger
                        .revoke(direct, &transfer_request(*account, balance))
                        .await
                        .unwrap();
                }
            }
            match current.next.take() {
                Some(next) => {
                    query.cursor = Some(next);
                    current = page(&ledger, direct, &query).await;
                }
                None => break,
            }
        }
        let distinct: HashSet<_> = seen.iter().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "{direction:?}: a row was shown twice"
        );
        assert_eq!(seen.len(), 1_203, "{direction:?}: a row was skipped");

        // And back again from the last page, still with balances moving between pages.
        let mut seen_back = ids(&current.rows);
        while let Some(previous) = current.previous.take() {
            for account in accounts.iter().step_by(101) {
                if ledger::testing::balance(&ledger, *account).await > 0 {
                    ledger
                        .revoke(direct, &transfer_request(*account, 1))
                        .await
                        .unwrap();
                }
            }
            query.cursor = Some(previous);
            current = page(&ledger, direct, &query).await;
            seen_back.extend(ids(&current.rows));
        }
        let distinct: HashSet<_> = seen_back.iter().collect();
        assert_eq!(
            distinct.len(),
            seen_back.len(),
            "{direction:?} back: a row was shown twice"
        );
        assert_eq!(
            seen_back.len(),
            1_203,
            "{direction:?} back: a row was skipped"
        );
    }
    ledger::testing::assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_reseller_pages_through_its_own_sub_accounts_only_whatever_it_asks() {
    let (_db, ledger, dataset) = seeded(300, 100).await;
    let n = neighbours(&ledger).await;
    let direct = &dataset.direct;

    // reseller1 sees its one customer, whatever the search, filter or cursor (even one of direct's).
    let directs_cursor = page(&ledger, direct, &SubAccountQuery::by_name(PAGE))
        .await
        .next
        .unwrap();
    for query in [
        SubAccountQuery::by_name(PAGE),
        SubAccountQuery {
            search: SearchText::parse("grand"),
            ..SubAccountQuery::by_name(PAGE)
        },
        SubAccountQuery {
            search: SearchText::parse("acme"),
            ..SubAccountQuery::by_name(PAGE)
        },
        SubAccountQuery {
            search: SearchText::parse("theirs"),
            ..SubAccountQuery::by_name(PAGE)
        },
        SubAccountQuery {
            cursor: Some(directs_cursor.clone()),
            ..SubAccountQuery::by_name(PAGE)
        },
        SubAccountQuery {
            kind: Some(AccountKind::Customer),
            limit: 10_000,
            ..SubAccountQuery::by_name(PAGE)
        },
    ] {
        let shown = page(&ledger, &n.reseller_one, &query).await;
        assert!(
            ids(&shown.rows)
                .iter()
                .all(|id| *id == n.grandchild.account()),
            "{query:?}: {:?}",
            shown.rows
        );
        assert!(shown.matching <= 1, "{query:?}");
    }

    // Another tenant's logins are not found from here.
    let theirs = SubAccountQuery {
        search: SearchText::parse("theirs"),
        ..SubAccountQuery::by_name(PAGE)
    };
    assert_eq!(page(&ledger, direct, &theirs).await.matching, 0);

    // No page is larger than the largest page, whatever the limit asked.
    let huge = SubAccountQuery {
        limit: u32::MAX,
        ..SubAccountQuery::by_name(PAGE)
    };
    assert_eq!(
        page(&ledger, direct, &huge).await.rows.len(),
        ledger::MAX_PAGE_ROWS as usize
    );

    // A customer has no sub-accounts to page through.
    let customer = actor(&ledger, "customer1").await;
    assert!(matches!(
        ledger
            .sub_account_page(&customer, &SubAccountQuery::by_name(PAGE))
            .await,
        Err(ReadError::NotAReseller)
    ));
}

#[tokio::test]
async fn a_cursor_of_another_sort_starts_from_the_first_page() {
    let (_db, ledger, dataset) = seeded(200, 100).await;
    let direct = &dataset.direct;
    let by_balance = query(SubAccountSort::Balance, SortDirection::Ascending);
    let cursor = page(&ledger, direct, &by_balance).await.next.unwrap();
    let by_name_with_it = SubAccountQuery {
        cursor: Some(cursor),
        ..SubAccountQuery::by_name(PAGE)
    };
    assert_eq!(
        page(&ledger, direct, &by_name_with_it).await,
        page(&ledger, direct, &SubAccountQuery::by_name(PAGE)).await
    );
}

#[tokio::test]
async fn verify_reports_kept_totals_that_differ_from_the_sub_accounts() {
    let (db, ledger, dataset) = seeded(40, 60).await;
    ledger::testing::assert_verified(&ledger).await;
    let direct = dataset.direct.account();
    db.raw_connection()
        .await
        .execute(
            format!(
                "UPDATE sub_account_totals SET credits = credits + 1 \
                 WHERE parent_id = {direct} AND kind = 'customer' AND status = 'active'"
            )
            .as_str(),
        )
        .await
        .unwrap();
    let report = ledger.verify(&ledger::testing::operator()).await.unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.totals_drift, [direct]);
}
