//! The API's listings: a reseller's direct sub-accounts searched, filtered and paged by (name, id),
//! the transfers of an account in its subtree filtered by kind, time and note, and one transfer by
//! id, visible only to the trees it touches.

use ledger::testing::{neighbours, open, transfer_request, with_worked_example};
use ledger::{
    AccountKind, AccountStatus, Note, ReadError, SubAccountSearch, TransferKind, TransferRequest,
    TransferSearch,
};

fn names(page: &ledger::SubAccountSearchPage) -> Vec<&str> {
    page.sub_accounts
        .iter()
        .map(|sub| sub.account.name.as_str())
        .collect()
}

#[tokio::test]
async fn sub_accounts_are_paged_by_name_with_a_cursor_until_the_last_page() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let mut query = SubAccountSearch {
        limit: 2,
        ..SubAccountSearch::default()
    };

    let first = ledger.find_sub_accounts(direct, &query).await.unwrap();
    assert_eq!(names(&first), ["Customer One", "Reseller One"]);
    query.after = first.next.clone();
    let second = ledger.find_sub_accounts(direct, &query).await.unwrap();
    assert_eq!(names(&second), ["Reseller Two"]);
    assert_eq!(second.next, None, "a short page is the last");
}

#[tokio::test]
async fn sub_accounts_are_searched_by_name_or_login_regardless_of_case_and_filtered() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    open(
        &ledger,
        direct,
        AccountKind::Customer,
        "50% Off_Shop",
        "halfoff",
    )
    .await;
    ledger
        .set_sub_account_status(direct, example.reseller_two, AccountStatus::Suspended)
        .await
        .unwrap();
    let find = async |query: SubAccountSearch| {
        let query = SubAccountSearch { limit: 50, ..query };
        let page = ledger.find_sub_accounts(direct, &query).await.unwrap();
        names(&page)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let text = |text: &str| SubAccountSearch {
        text: Some(text.to_owned()),
        ..SubAccountSearch::default()
    };

    assert_eq!(
        find(text("RESELLER")).await,
        ["Reseller One", "Reseller Two"]
    );
    assert_eq!(find(text("customer1")).await, ["Customer One"], "by login");
    assert_eq!(find(text("50%")).await, ["50% Off_Shop"], "% is literal");
    assert_eq!(find(text("f_s")).await, ["50% Off_Shop"], "_ is literal");
    assert!(find(text("nobody")).await.is_empty());
    let customers = SubAccountSearch {
        kind: Some(AccountKind::Customer),
        ..SubAccountSearch::default()
    };
    assert_eq!(find(customers).await, ["50% Off_Shop", "Customer One"]);
    let suspended = SubAccountSearch {
        status: Some(AccountStatus::Suspended),
        ..SubAccountSearch::default()
    };
    assert_eq!(find(suspended).await, ["Reseller Two"]);
}

#[tokio::test]
async fn a_customer_has_no_sub_accounts_to_list_and_reads_no_one_elses() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let listed = ledger
        .find_sub_accounts(&n.customer_one, &SubAccountSearch::default())
        .await
        .unwrap_err();
    assert!(matches!(listed, ReadError::NotAReseller), "{listed:?}");
    for (reader, target) in [
        (&example.direct, n.grandchild.account()),
        (&example.direct, n.strangers_customer.account()),
        (&n.reseller_one, example.reseller_two),
        (&n.reseller_one, ledger::AccountId(999_999)),
    ] {
        let error = ledger.sub_account(reader, target).await.unwrap_err();
        assert!(matches!(error, ReadError::NotVisible), "{error:?}");
    }
    let own_child = ledger
        .sub_account(&n.reseller_one, n.grandchild.account())
        .await
        .unwrap();
    assert_eq!(own_child.login.as_deref(), Some("grandchild"));
}

#[tokio::test]
async fn transfers_are_filtered_by_kind_note_and_time_and_paged_newest_first() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    for (credits, note) in [(30, "June order"), (20, "July ORDER"), (5, "Gift")] {
        let request = TransferRequest {
            note: Note::parse(note).unwrap(),
            ..transfer_request(example.reseller_one, credits)
        };
        ledger.grant(direct, &request).await.unwrap();
    }
    ledger
        .revoke(direct, &transfer_request(example.reseller_one, 1))
        .await
        .unwrap();
    let find = async |query: TransferSearch| {
        let query = TransferSearch {
            account: Some(example.reseller_one),
            limit: 50,
            ..query
        };
        let found = ledger.find_transfers(direct, &query).await.unwrap();
        found.iter().map(|t| t.change).collect::<Vec<_>>()
    };

    assert_eq!(find(TransferSearch::default()).await, [-1, 5, 20, 30]);
    let orders = TransferSearch {
        text: Some("order".into()),
        ..TransferSearch::default()
    };
    assert_eq!(find(orders).await, [20, 30]);
    let revokes = TransferSearch {
        kind: Some(TransferKind::Revoke),
        ..TransferSearch::default()
    };
    assert_eq!(find(revokes).await, [-1]);
    let future = TransferSearch {
        since: Some(i64::MAX - 1),
        ..TransferSearch::default()
    };
    assert!(find(future).await.is_empty());
    let past = TransferSearch {
        until: Some(0),
        ..TransferSearch::default()
    };
    assert!(find(past).await.is_empty());

    let page = TransferSearch {
        account: Some(example.reseller_one),
        limit: 2,
        ..TransferSearch::default()
    };
    let newest = ledger.find_transfers(direct, &page).await.unwrap();
    let older = TransferSearch {
        before: newest.last().map(|t| t.id),
        ..page
    };
    let rest = ledger.find_transfers(direct, &older).await.unwrap();
    assert_eq!(rest.iter().map(|t| t.change).collect::<Vec<_>>(), [20, 30]);
}

#[tokio::test]
async fn one_transfer_is_visible_to_the_trees_it_touches_with_only_their_balances() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let grant = ledger
        .grant(&example.direct, &transfer_request(example.reseller_one, 30))
        .await
        .unwrap();

    let by_parent = ledger.transfer(&example.direct, grant.id).await.unwrap();
    assert_eq!(
        (by_parent.from_balance_after, by_parent.to_balance_after),
        (Some(70), Some(30))
    );
    let by_child = ledger.transfer(&n.reseller_one, grant.id).await.unwrap();
    assert_eq!(
        (by_child.from_balance_after, by_child.to_balance_after),
        (None, Some(30)),
        "the child does not see its parent's balance"
    );
    for outsider in [&n.reseller_two, &n.grandchild, &n.stranger] {
        let error = ledger.transfer(outsider, grant.id).await.unwrap_err();
        assert!(matches!(error, ReadError::NotVisible), "{error:?}");
    }
    let missing = ledger.transfer(&example.direct, 999_999).await.unwrap_err();
    assert!(matches!(missing, ReadError::NotVisible), "{missing:?}");
}
