//! No page reads a whole table, nor does a batch's balance move: the plans the database picks
//! (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`, on a few thousand accounts and transfers
//! with fresh statistics) reach `accounts`, `users`, `sub_account_totals` and `transfers` only
//! through index ranges or keys, for the grid's first page, a search, each sort, a deep page and a
//! page after balances moved, for an account's transfers, filtered or not, on any page, and for
//! the move of 65 balances. A search reads its matches only, never the range of all the parent's
//! sub-accounts, and (on SQLite) a page not limited to one
//! counterparty reads an account's transfers one type at a time, a range of the per-type index on
//! each side (there is no per-account time index); on PostgreSQL no side of a history page is read whole and sorted,
//! whatever its filters (the planner's guess for the note search once made it do so). Run with
//! `--nocapture` to read them.

use ledger::testing::{operator, seeded, transfer_request};
use ledger::{
    AccountId, AccountKind, AccountStatus, Backend, SearchText, SortDirection, SubAccountQuery,
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
    "p",
    "c",
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

/// The steps of a plan that read every sub-account of the parent (an index range on the parent
/// alone): right for a page, which stops after a page of rows, but a search that read its matches
/// this way would test all of them.
fn whole_parent_ranges(backend: Backend, plan: &str) -> Vec<String> {
    plan.lines()
        .map(str::trim)
        .filter(|step| match backend {
            Backend::Sqlite => step.starts_with("SEARCH ") && step.ends_with("(parent_id=?)"),
            Backend::Postgres => {
                step.starts_with("Index Cond: (parent_id = ") && !step.contains(" AND ")
            }
        })
        .map(str::to_owned)
        .collect()
}

/// The steps of a SQLite plan that reach an account's transfers through a range that leaves out
/// their type: out of time order (`transfers_by_from`), or testing every transfer of that side.
/// (PostgreSQL picks its index by its statistics; `server bench-reads` measures its choice at
/// scale.)
fn ranges_without_the_type(plan: &str) -> Vec<String> {
    plan.lines()
        .map(str::trim)
        .filter(|step| step.starts_with("SEARCH t ") && !step.contains("kind=?"))
        .map(str::to_owned)
        .collect()
}

/// The steps of a PostgreSQL plan that sort transfers read from a table or index: a page of history
/// walks each range (a side and a type) down its index and stops when the page is full; a sort
/// there means every transfer in the range was read first, however many there are.
fn sorted_sides(plan: &str) -> Vec<String> {
    let steps: Vec<&str> = plan
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("->") || !line.contains(": "))
        .collect();
    steps
        .windows(2)
        .filter(|pair| {
            let sort = pair[0].trim_start_matches("->").trim_start();
            (sort.starts_with("Sort ") || sort.starts_with("Incremental Sort "))
                && pair[1].contains(" on transfers ")
        })
        .map(|pair| format!("{} over {}", pair[0], pair[1]))
        .collect()
}

#[tokio::test]
async fn no_page_and_no_balance_move_reads_a_whole_table() {
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
            "a search by login",
            SubAccountQuery {
                search: SearchText::parse("acme.t"),
                ..SubAccountQuery::by_name(50)
            },
        ),
        (
            "a search with a filter, by balance, after balances moved",
            SubAccountQuery {
                search: SearchText::parse("acme t"),
                kind: Some(AccountKind::Customer),
                ..after_moves.clone()
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
            let mut wrong = full_scans(backend, &plan);
            if query.search.is_some() {
                wrong.extend(whole_parent_ranges(backend, &plan));
            }
            failures.extend(wrong.into_iter().map(|scan| format!("{name}: {scan}")));
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
            "a history page searched by note",
            TransferQuery {
                note: SearchText::parse("campaign"),
                ..newest.clone()
            },
        ),
        (
            "a history page of one type",
            TransferQuery {
                kind: Some(TransferKind::Grant),
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
        let mut wrong = full_scans(backend, &plan);
        match backend {
            Backend::Sqlite if query.counterparty.is_none() => {
                wrong.extend(ranges_without_the_type(&plan));
            }
            Backend::Sqlite => {}
            // Over the direct reseller's whole history (thousands of transfers) a sorted side is
            // all of them read first; a few weeks or a sub-account's handful may rightly be sorted.
            Backend::Postgres if query.account.is_none() && query.since.is_none() => {
                wrong.extend(sorted_sides(&plan));
            }
            Backend::Postgres => {}
        }
        failures.extend(wrong.into_iter().map(|scan| format!("{name}: {scan}")));
    }

    let moved: Vec<AccountId> = std::iter::once(direct.account())
        .chain(dataset.sub_accounts.iter().take(64).copied())
        .collect();
    let plan = ledger.balance_move_plan(&moved).await.unwrap();
    eprintln!("--- a batch's balance move\n{plan}");
    failures.extend(
        full_scans(backend, &plan)
            .into_iter()
            .map(|scan| format!("a batch's balance move: {scan}")),
    );
    assert!(
        failures.is_empty(),
        "{backend:?} reads whole tables or ranges:\n{}",
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

#[test]
fn a_sorted_side_of_history_is_recognised() {
    let postgres = "Limit  (cost=1.0..2.0 rows=51 width=68)\n  ->  Merge Append  (cost=1.0..2.0 rows=62 width=68)\n        Sort Key: t.created_at DESC, t.id DESC\n        ->  Sort  (cost=1.0..2.0 rows=23 width=68)\n              Sort Key: t.created_at DESC, t.id DESC\n              ->  Parallel Seq Scan on transfers t  (cost=0.00..2.0 rows=23 width=68)\n        ->  Index Scan Backward using transfers_to_by_kind on transfers t_1  (cost=0.42..1.0 rows=6 width=68)";
    assert_eq!(
        sorted_sides(postgres),
        [
            "->  Sort  (cost=1.0..2.0 rows=23 width=68) over ->  Parallel Seq Scan on transfers t  (cost=0.00..2.0 rows=23 width=68)"
        ]
    );
}

#[test]
fn a_search_through_every_sub_account_and_a_range_without_the_type_are_recognised() {
    let sqlite = "SEARCH a USING INDEX accounts_children_by_name (parent_id=?)\nSEARCH s USING INDEX accounts_children_by_name (parent_id=? AND name_key>? AND name_key<?)";
    assert_eq!(
        whole_parent_ranges(Backend::Sqlite, sqlite),
        ["SEARCH a USING INDEX accounts_children_by_name (parent_id=?)"]
    );
    let postgres = "  ->  Index Scan using accounts_children_by_name on accounts a\n        Index Cond: (parent_id = 2)\n  ->  Index Scan using accounts_children_by_name on accounts s\n        Index Cond: ((parent_id = 2) AND (name_key >= 'acme t'::text))";
    assert_eq!(
        whole_parent_ranges(Backend::Postgres, postgres),
        ["Index Cond: (parent_id = 2)"]
    );
    let sqlite = "SEARCH t USING INDEX transfers_from_by_kind (from_account_id=? AND kind=?)\nSEARCH t USING INDEX transfers_by_to (to_account_id=?)";
    assert_eq!(
        ranges_without_the_type(sqlite),
        ["SEARCH t USING INDEX transfers_by_to (to_account_id=?)"]
    );
}
