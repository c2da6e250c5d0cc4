//! What the API reads besides the pages (whose own tests are sub_account_pages.rs and
//! transfer_pages.rs): one sub-account, and one transfer by id, each visible only within reach.

use ledger::testing::{neighbours, transfer_request, with_worked_example};
use ledger::{ReadError, SubAccountQuery};

#[tokio::test]
async fn a_customer_has_no_sub_accounts_to_list_and_reads_no_one_elses() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let listed = ledger
        .sub_account_page(&n.customer_one, &SubAccountQuery::by_name(50))
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
