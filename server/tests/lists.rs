//! Manage Customers, the transfers page and the CSV download over HTTP: what each parameter does,
//! that no parameter reaches beyond the caller's own tree, that a direct GET already holds the rows
//! of its view, and that the download is exactly the ledger's view, safe to open in a spreadsheet.

mod support;

use app::error::AppError;
use app::format::utc_date;
use app::model::{
    AccountKind, AccountStatus, SortDirection, SubAccountSort, SubAccountView, TransferKind,
    TransferView,
};
use app::server_fns::{BalanceHistory, SubAccountPage, TransferPage};
use ledger::testing::{self, operator};
use ledger::{Clock, SearchText, SeedPlan, TransferQuery};
use support::{Browser, Failure, TestApp, credit_request};

async fn grid(
    browser: &Browser,
    view: SubAccountView,
) -> Result<app::model::SubAccountList, Failure> {
    browser.call(SubAccountPage { view }).await
}

async fn transfers(
    browser: &Browser,
    view: TransferView,
) -> Result<app::model::TransferList, Failure> {
    browser.call(TransferPage { view }).await
}

fn names(list: &app::model::SubAccountList) -> Vec<&str> {
    list.rows.iter().map(|row| row.name.as_str()).collect()
}

/// The worked example after its three grants of 30, each with the note "June order".
async fn worked_example_done(app: &TestApp) -> Browser {
    let direct = app.signed_in("direct").await;
    for account in app.example.sub_accounts() {
        direct
            .call(app::server_fns::TransferCredits {
                request: credit_request(account.0, "30", "June order"),
            })
            .await
            .unwrap();
    }
    direct
}

#[tokio::test]
async fn the_grid_searches_filters_sorts_and_counts_the_callers_sub_accounts() {
    let app = TestApp::spawn().await;
    let direct = worked_example_done(&app).await;
    direct
        .call(app::server_fns::TransferCredits {
            request: credit_request(app.example.reseller_two.0, "-20", "Back"),
        })
        .await
        .unwrap();

    let all = grid(&direct, SubAccountView::default()).await.unwrap();
    assert_eq!(
        names(&all),
        ["Customer One", "Reseller One", "Reseller Two"]
    );
    assert_eq!((all.matching, all.matching_credits), (3, 70));
    assert_eq!((all.next.as_deref(), all.previous.as_deref()), (None, None));

    let search = |q: &str| SubAccountView {
        q: q.into(),
        ..SubAccountView::default()
    };
    let found = grid(&direct, search("RESELLER t")).await.unwrap();
    assert_eq!(
        (names(&found), found.matching, found.matching_credits),
        (vec!["Reseller Two"], 1, 10)
    );
    assert_eq!(
        names(&grid(&direct, search("customer1")).await.unwrap()),
        ["Customer One"],
        "by login"
    );
    assert_eq!(
        grid(&direct, search("One")).await.unwrap().matching,
        0,
        "a prefix, not a word inside"
    );

    let customers = SubAccountView {
        kind: Some(AccountKind::Customer),
        ..SubAccountView::default()
    };
    assert_eq!(
        names(&grid(&direct, customers).await.unwrap()),
        ["Customer One"]
    );
    let suspended = SubAccountView {
        status: Some(AccountStatus::Suspended),
        ..SubAccountView::default()
    };
    assert_eq!(grid(&direct, suspended).await.unwrap().matching, 0);

    let by_balance = SubAccountView {
        sort: SubAccountSort::Balance,
        direction: SortDirection::Ascending,
        ..SubAccountView::default()
    };
    assert_eq!(
        names(&grid(&direct, by_balance).await.unwrap()),
        ["Reseller Two", "Reseller One", "Customer One"]
    );
    let newest_first = SubAccountView {
        sort: SubAccountSort::Created,
        direction: SortDirection::Descending,
        ..SubAccountView::default()
    };
    assert_eq!(
        names(&grid(&direct, newest_first).await.unwrap()),
        ["Customer One", "Reseller Two", "Reseller One"]
    );
}

#[tokio::test]
async fn the_grid_pages_by_cursor_and_refuses_a_cursor_it_never_gave() {
    let app = TestApp::spawn_for_seeding().await;
    let plan = SeedPlan {
        sub_accounts: 120,
        transfers: 60,
    };
    app.ledger.seed(&operator(), &plan, |_| {}).await.unwrap();
    let direct = app.signed_in("direct").await;

    let mut view = SubAccountView::default();
    let mut seen = Vec::new();
    loop {
        let page = grid(&direct, view.clone()).await.unwrap();
        assert!(page.rows.len() <= app::model::GRID_PAGE as usize);
        seen.extend(page.rows.iter().map(|row| row.id));
        match page.next {
            Some(next) => view = view.at(Some(next)),
            None => break,
        }
    }
    let mut distinct = seen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!((seen.len(), distinct.len()), (123, 123));

    let forged = view.at(Some("not a cursor".into()));
    let refused = grid(&direct, forged).await.unwrap_err();
    assert_eq!((refused.status, refused.error), (400, AppError::BadRequest));
}

#[tokio::test]
async fn no_grid_parameter_reaches_beyond_the_callers_own_sub_accounts() {
    let app = TestApp::spawn().await;
    let ledger = &app.ledger;
    let reseller1 = testing::actor(ledger, "reseller1").await;
    testing::open(
        ledger,
        &reseller1,
        ledger::AccountKind::Customer,
        "Acme",
        "acme",
    )
    .await;
    let other = testing::open_direct_reseller(ledger, "Other", "other").await;
    testing::open(
        ledger,
        &other,
        ledger::AccountKind::Customer,
        "Theirs",
        "theirs",
    )
    .await;

    let direct = app.signed_in("direct").await;
    let directs_cursor = grid(&direct, SubAccountView::default()).await.unwrap().rows[0].clone();
    let as_reseller1 = app.signed_in("reseller1").await;
    let cursor_text = format!("Nna0.{}.{}", directs_cursor.id, "a");
    for view in [
        SubAccountView::default(),
        SubAccountView {
            q: "Theirs".into(),
            ..SubAccountView::default()
        },
        SubAccountView {
            q: "Reseller".into(),
            ..SubAccountView::default()
        },
        SubAccountView {
            q: "c".into(),
            kind: Some(AccountKind::Customer),
            ..SubAccountView::default()
        },
        SubAccountView {
            kind: Some(AccountKind::DirectReseller),
            ..SubAccountView::default()
        },
        SubAccountView::default().at(Some(cursor_text.clone())),
    ] {
        let page = grid(&as_reseller1, view.clone()).await.unwrap();
        assert!(
            names(&page).iter().all(|name| *name == "Acme"),
            "{view:?}: {:?}",
            names(&page)
        );
        assert!(page.matching <= 1, "{view:?}");
    }

    let anonymous = app
        .browser()
        .call(SubAccountPage {
            view: SubAccountView::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (anonymous.status, anonymous.error),
        (401, AppError::Unauthenticated)
    );
    let customer = app.signed_in("customer1").await;
    let refused = grid(&customer, SubAccountView::default())
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, refused.error),
        (403, AppError::NotAReseller)
    );
}

#[tokio::test]
async fn a_direct_get_of_manage_customers_holds_the_rows_of_its_view() {
    let app = TestApp::spawn().await;
    let direct = worked_example_done(&app).await;
    let html = direct
        .fetch("/reseller/customers?q=reseller&sort=created&dir=desc")
        .await
        .text()
        .await
        .unwrap();
    let two = html
        .find(&format!("data-account-id=\"{}\"", app.example.reseller_two))
        .expect("Reseller Two");
    let one = html
        .find(&format!("data-account-id=\"{}\"", app.example.reseller_one))
        .expect("Reseller One");
    assert!(two < one, "newest first");
    assert!(!html.contains(&format!("data-account-id=\"{}\"", app.example.customer_one)));
    assert!(
        html.contains("value=\"reseller\""),
        "the search box holds the search"
    );
    assert!(html.contains("aria-sort=\"descending\""));
    assert!(html.contains(r#"data-testid="match-count">2<"#));
}

/// A page is sent whole: no loading placeholder for the browser to paint and then push down when
/// the data streams in after it (Lighthouse counted that as a layout shift of 0.16).
#[tokio::test]
async fn signed_in_pages_arrive_whole_with_no_placeholder_streamed_ahead_of_the_data() {
    let app = TestApp::spawn().await;
    let direct = worked_example_done(&app).await;
    for path in ["/reseller/customers", "/transfers"] {
        let html = direct.fetch(path).await.text().await.unwrap();
        assert!(
            html.contains("June order"),
            "{path}: the data is in the page"
        );
        for streamed_later in ["Loading account", "<template id="] {
            assert!(!html.contains(streamed_later), "{path}: {streamed_later}");
        }
    }
}

#[tokio::test]
async fn the_transfers_page_shows_the_worked_example_and_narrows_by_each_filter() {
    let app = TestApp::spawn().await;
    let direct = worked_example_done(&app).await;
    let one = app.example.reseller_one.0;

    let own = transfers(&direct, TransferView::default()).await.unwrap();
    assert_eq!(own.account.balance, 10);
    let lines: Vec<_> = own
        .rows
        .iter()
        .map(|t| (t.kind, t.counterparty.as_str(), t.change, t.note.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (TransferKind::Grant, "Customer One", -30, "June order"),
            (TransferKind::Grant, "Reseller Two", -30, "June order"),
            (TransferKind::Grant, "Reseller One", -30, "June order"),
            (TransferKind::TopUp, "Platform", 100, "Demo opening balance"),
        ]
    );

    let theirs = transfers(
        &direct,
        TransferView {
            account: Some(one),
            ..TransferView::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(theirs.account.name, "Reseller One");
    assert_eq!(
        theirs
            .rows
            .iter()
            .map(|t| (
                t.kind,
                t.counterparty.as_str(),
                t.change,
                t.balance_after,
                t.note.as_str(),
                t.actor.as_str()
            ))
            .collect::<Vec<_>>(),
        [(
            TransferKind::Grant,
            "Direct Reseller",
            30,
            30,
            "June order",
            "direct"
        )]
    );

    let today = utc_date(Clock::default().now());
    let count = async |view: TransferView| transfers(&direct, view).await.unwrap().rows.len();
    assert_eq!(
        count(TransferView {
            from: today.clone(),
            to: today.clone(),
            ..TransferView::default()
        })
        .await,
        4
    );
    assert_eq!(
        count(TransferView {
            from: "2999-01-01".into(),
            ..TransferView::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(TransferView {
            to: "2000-01-01".into(),
            ..TransferView::default()
        })
        .await,
        0
    );
    assert_eq!(
        count(TransferView {
            kind: Some(TransferKind::TopUp),
            ..TransferView::default()
        })
        .await,
        1
    );
    assert_eq!(
        count(TransferView {
            note: "JUNE".into(),
            ..TransferView::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(TransferView {
            counterparty: Some(one),
            ..TransferView::default()
        })
        .await,
        1
    );

    let bad_date = transfers(
        &direct,
        TransferView {
            from: "25/11/2026".into(),
            ..TransferView::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        (bad_date.status, bad_date.error),
        (422, AppError::InvalidDate)
    );
    let bad_cursor = transfers(
        &direct,
        TransferView {
            cursor: Some("O1".into()),
            ..TransferView::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad_cursor.error, AppError::BadRequest);

    let chart = direct
        .call(BalanceHistory {
            view: TransferView::default(),
        })
        .await
        .unwrap();
    assert_eq!(chart.last().map(|point| point.balance), Some(10));
}

#[tokio::test]
async fn another_trees_account_is_refused_by_the_page_the_chart_and_the_download() {
    let app = TestApp::spawn().await;
    let other = testing::open_direct_reseller(&app.ledger, "Other", "other").await;
    let direct = worked_example_done(&app).await;
    let as_customer = app.signed_in("customer1").await;

    for (browser, account) in [
        (&direct, other.account().0),
        (&direct, app.ledger.platform_id().0),
        (&direct, 999_999),
        (&as_customer, app.example.direct.account().0),
        (&as_customer, app.example.reseller_one.0),
    ] {
        let view = TransferView {
            account: Some(account),
            ..TransferView::default()
        };
        let page = transfers(browser, view.clone()).await.unwrap_err();
        assert_eq!(
            (page.status, &page.error),
            (404, &AppError::SubAccountNotFound),
            "{account}"
        );
        let chart = browser.call(BalanceHistory { view }).await.unwrap_err();
        assert_eq!(chart.error, AppError::SubAccountNotFound);
        let download = browser
            .fetch(&format!("/transfers.csv?account={account}"))
            .await;
        assert_eq!(download.status().as_u16(), 404);
        assert_eq!(
            download.text().await.unwrap(),
            AppError::SubAccountNotFound.to_string()
        );
    }

    // A counterparty in another tree narrows to nothing, like a missing one.
    let view = TransferView {
        counterparty: Some(other.account().0),
        ..TransferView::default()
    };
    assert!(transfers(&direct, view).await.unwrap().rows.is_empty());

    // Signed out, the download is the sign-in page's.
    let (status, location) = app.browser().get("/transfers.csv").await;
    assert_eq!((status, location.as_deref()), (303, Some("/sign-in")));
}

/// A CSV file's records (RFC 4180: quoted fields may hold commas, quotes and line breaks).
fn records(csv: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = csv.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[tokio::test]
async fn the_download_is_the_ledgers_view_with_every_page_and_formulas_kept_as_text() {
    let app = TestApp::spawn_for_seeding().await;
    let plan = SeedPlan {
        sub_accounts: 30,
        transfers: 2_300,
    };
    app.ledger.seed(&operator(), &plan, |_| {}).await.unwrap();
    let direct = app.signed_in("direct").await;
    let one = app.example.reseller_one.0;
    for note in [
        "=HYPERLINK(\"http://evil.example\",\"Click\")",
        "Refund, as agreed",
        "@SUM(A1)",
    ] {
        direct
            .call(app::server_fns::TransferCredits {
                request: credit_request(one, "1", note),
            })
            .await
            .unwrap();
    }

    let response = direct.fetch("/transfers.csv?note=&cursor=O1.1").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with(&format!(
            "attachment; filename=\"transfers-{}-",
            app.example.direct.account()
        )),
        "{disposition}"
    );
    let csv = response.text().await.unwrap();
    let rows = records(&csv);
    assert_eq!(
        rows[0],
        [
            "Time (UTC)",
            "Type",
            "Counterparty",
            "Credits",
            "Balance after",
            "Note",
            "By",
            "Transfer"
        ]
    );

    // Every transfer of the direct reseller, whatever page the URL was on: the ledger's own view.
    let mut export = app
        .ledger
        .transfer_export(&app.example.direct, &TransferQuery::of(None, 50))
        .await
        .unwrap();
    let mut expected = Vec::new();
    while let Some(chunk) = export.next_chunk().await.unwrap() {
        expected.extend(chunk);
    }
    assert!(expected.len() > 2 * ledger::EXPORT_CHUNK_ROWS);
    assert_eq!(rows.len() - 1, expected.len());
    for (record, transfer) in rows[1..].iter().zip(&expected) {
        assert_eq!(record[0], app::format::iso_8601_utc(transfer.created_at));
        assert!(record[0].ends_with('Z') && record[0].contains('T'));
        assert_eq!(record[1], transfer.kind.as_str());
        assert_eq!(record[3], transfer.change.to_string());
        assert_eq!(record[4], transfer.balance_after.to_string());
        assert_eq!(record[7], transfer.id.to_string());
        let note = record[5].strip_prefix('\'').unwrap_or(&record[5]);
        assert_eq!(note, transfer.note);
    }
    assert_eq!(rows[1][5], "'@SUM(A1)");
    assert_eq!(rows[2][5], "Refund, as agreed");
    assert_eq!(rows[3][5], "'=HYPERLINK(\"http://evil.example\",\"Click\")");
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\""));

    // The same filters as the page: the notes with "refund" in them.
    let filtered = records(
        &direct
            .fetch("/transfers.csv?note=REFUND")
            .await
            .text()
            .await
            .unwrap(),
    );
    let query = TransferQuery {
        note: SearchText::parse("refund"),
        ..TransferQuery::of(None, 50)
    };
    let mut export = app
        .ledger
        .transfer_export(&app.example.direct, &query)
        .await
        .unwrap();
    let mut refunds = Vec::new();
    while let Some(chunk) = export.next_chunk().await.unwrap() {
        refunds.extend(chunk.into_iter().map(|t| t.id.to_string()));
    }
    assert!(refunds.len() > 50, "more than a page");
    assert_eq!(
        filtered[1..]
            .iter()
            .map(|record| record[7].clone())
            .collect::<Vec<_>>(),
        refunds
    );

    let refused = direct.fetch("/transfers.csv?from=yesterday").await;
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(
        refused.text().await.unwrap(),
        AppError::InvalidDate.to_string()
    );
    testing::assert_verified(&app.ledger).await;
}
