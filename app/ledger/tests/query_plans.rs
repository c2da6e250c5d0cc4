//! No page reads a whole table: the plans the database picks (SQLite's `EXPLAIN QUERY PLAN`,
//! PostgreSQL's `EXPLAIN`, on a few thousand accounts and transfers with fresh statistics) reach
//! `accounts`, `users`, `sub_account_totals` and `transfers` only through index ranges or keys,
//! for the grid's first page, a search, each sort, a deep page and a page after balances moved,
//! and for an account's transfers, filtered or not, on any page. Run with `--nocapture` to read them.

use ledger::testing::{operator, seeded, transfer_request};
use ledger::{
    AccountKind, AccountStatus, Backend, SearchText, SortDirection, SubAccountQuery,
    SubAccountSort, TransferKind, TransferQuery,
};
use sqlx::Executor;

/// The tables whose size grows with the business, and the aliases the ledger's statements give them.
const BASE_TABLES: [&str; 10] = [
    "accounts",
    "users",
    "transfers",
    "sub_account_totals",
    "a",
    "s",
    "u",
    "t",
    "f",
    "r",
];

/// The steps of a plan that read a whole table (or a whole index).
fn full_scans(backend: Backend, plan: &str) -> Vec<String> {
    let lines: Vec<&str> = plan.lines().collect();
    match backend {
        // `SCAN x` reads all of x (`USING INDEX` or not); `SEARCH x USING …` reads a range.
        Backend::Sqlite => lines
            .iter()
            .filter(|line| {
                let step = line.trim();
                step.strip_prefix("SCAN ").is_some_and(|rest| {
                    let table = rest.split_whitespace().next().unwrap_or_default();
                    BASE_TABLES.contains(&table)
                })
            })
            .map(|line| line.trim().to_owned())
            .collect(),
        // A sequential scan reads all of a table; an index scan without an index condition reads
        // all of the index.
        Backend::Postgres => lines
            .iter()
            .enumerate()
            .filter(|(n, line)| {
                let on_base_table = BASE_TABLES[..4].iter().any(|table| {
                    line.contains(&format!(" on {table} "))
                        || line.ends_with(&format!(" on {table}"))
                });
                if !on_base_table {
                    return false;
                }
                if line.contains("Seq Scan") {
                    return true;
                }
                let index_scan = line.contains("Index Scan") || line.contains("Index Only Scan");
                let conditions = lines[n + 1..]
                    .iter()
                    .take_while(|detail| !detail.contains("->"));
                index_scan
                    && !conditions
                        .clone()
                        .any(|detail| detail.contains("Index Cond"))
            })
            .map(|(_, line)| line.trim().to_owned())
            .collect(),
    }
}

#[tokio::test]
async fn no_page_of_the_grid_or_of_transfers_reads_a_whole_table() {
    let (db, ledger, dataset) = seeded(3_000, 4_000).await;
    let direct = &dataset.direct;
    let backend = ledger.backend();
    db.raw_connection().await.execute("ANALYZE").await.unwrap();

    let by = |sort, direction| SubAccountQuery {
        sort,
        direction,
        ..SubAccountQuery::by_name(50)
    };
    let mut deep = SubAccountQuery::by_name(50);
    for _ in 0..40 {
        deep.cursor = ledger.sub_account_page(direct, &deep).await.unwrap().next;
    }
    let mut after_moves = by(SubAccountSort::Balance, SortDirection::Descending);
    after_moves.cursor = ledger
        .sub_account_page(direct, &after_moves)
        .await
        .unwrap()
        .next;
    for account in dataset.sub_accounts.iter().take(5) {
        ledger
            .grant(direct, &transfer_request(*account, 7))
            .await
            .unwrap();
    }
    let grid = [
        ("the grid's first page", SubAccountQuery::by_name(50)),
        (
            "a search",
            SubAccountQuery {
                search: SearchText::parse("acme t"),
                ..SubAccountQuery::by_name(50)
            },
        ),
        (
            "a sort by balance",
            by(SubAccountSort::Balance, SortDirection::Descending),
        ),
        (
            "a sort by date created",
            by(SubAccountSort::Created, SortDirection::Ascending),
        ),
        (
            "a filter by type and status",
            SubAccountQuery {
                kind: Some(AccountKind::Reseller),
                status: Some(AccountStatus::Suspended),
                ..SubAccountQuery::by_name(50)
            },
        ),
        ("page 41", deep),
        ("a page by balance after balances moved", after_moves),
    ];
    let mut failures = Vec::new();
    for (name, query) in grid {
        let plans = ledger.sub_account_page_plans(direct, &query).await.unwrap();
        for plan in plans {
            eprintln!("--- {name}\n{plan}");
            failures.extend(
                full_scans(backend, &plan)
                    .into_iter()
                    .map(|scan| format!("{name}: {scan}")),
            );
        }
    }

    let newest = TransferQuery::of(None, 50);
    let older = TransferQuery {
        cursor: ledger.transfer_page(direct, &newest).await.unwrap().next,
        ..newest.clone()
    };
    let all = ledger::testing::all_transfers(&db, direct.account()).await;
    let (first, last) = (all[all.len() - 1].created_at, all[0].created_at);
    let transfers = [
        ("a history page", newest.clone()),
        ("an older history page", older),
        (
            "a filtered history page",
            TransferQuery {
                since: Some(first + (last - first) / 3),
                until: Some(first + (last - first) * 2 / 3),
                kind: Some(TransferKind::Revoke),
                note: SearchText::parse("campaign"),
                ..newest.clone()
            },
        ),
        (
            "a history page with one counterparty",
            TransferQuery {
                counterparty: Some(dataset.sub_accounts[3]),
                ..newest.clone()
            },
        ),
        (
            "a sub-account's history page",
            TransferQuery::of(Some(dataset.sub_accounts[3]), 50),
        ),
    ];
    for (name, query) in transfers {
        let plan = ledger.transfer_page_plan(direct, &query).await.unwrap();
        eprintln!("--- {name}\n{plan}");
        failures.extend(
            full_scans(backend, &plan)
                .into_iter()
                .map(|scan| format!("{name}: {scan}")),
        );
    }
    assert!(
        failures.is_empty(),
        "{backend:?} reads whole tables:\n{}",
        failures.join("\n")
    );
    assert!(ledger.verify(&operator()).await.unwrap().is_clean());
}

#[test]
fn a_whole_table_read_is_recognised_in_either_plan() {
    assert_eq!(
        full_scans(
            Backend::Sqlite,
            "SEARCH a USING INDEX accounts_children_by_name (parent_id=?)\nSCAN a\nSCAN x"
        ),
        ["SCAN a"]
    );
    assert_eq!(
        full_scans(Backend::Sqlite, "SCAN t USING INDEX transfers_by_from"),
        ["SCAN t USING INDEX transfers_by_from"]
    );
    let postgres = "Limit  (cost=0.29..9.32 rows=51 width=98)\n  ->  Index Scan using accounts_children_by_name on accounts a  (cost=0.29..541.55 rows=3003 width=98)\n        Index Cond: (parent_id = 2)\n  ->  Seq Scan on transfers t  (cost=0.00..1.00 rows=1 width=8)\n  ->  Index Only Scan using users_by_login on users u  (cost=0.29..541.55 rows=3003 width=98)\n        Filter: (login > 'a')";
    assert_eq!(
        full_scans(Backend::Postgres, postgres),
        [
            "->  Seq Scan on transfers t  (cost=0.00..1.00 rows=1 width=8)",
            "->  Index Only Scan using users_by_login on users u  (cost=0.29..541.55 rows=3003 width=98)"
        ]
    );
}
