//! Who may read what: an actor reads its own account and everything below it, and nothing else; a
//! customer has no sub-accounts to list. The ledger decides, so no caller has to.

use ledger::testing::{actor, neighbours, transfer_request, with_worked_example};
use ledger::{AccountId, AccountKind, ReadError};

#[tokio::test]
async fn an_actor_reads_the_transfers_of_its_own_account_and_of_every_account_below_it() {
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

    for (reader, target, expected) in [
        (direct, None, 2),
        (direct, Some(direct.account()), 2),
        (direct, Some(n.reseller_one.account()), 2),
        (direct, Some(n.grandchild.account()), 1),
        (direct, Some(example.customer_one), 0),
        (&n.reseller_one, None, 2),
        (&n.reseller_one, Some(n.grandchild.account()), 1),
        (&n.grandchild, None, 1),
        (&n.stranger, Some(n.strangers_customer.account()), 0),
    ] {
        let transfers = ledger
            .account_transfers(reader, target, None, 10)
            .await
            .unwrap_or_else(|error| panic!("{} reads {target:?}: {error:?}", reader.name()));
        assert_eq!(
            transfers.len(),
            expected,
            "{} reads {target:?}",
            reader.name()
        );
    }
    let seen_from_grandchild = ledger
        .account_transfers(direct, Some(n.grandchild.account()), None, 10)
        .await
        .unwrap();
    assert_eq!(
        (
            seen_from_grandchild[0].counterparty.as_str(),
            seen_from_grandchild[0].change,
            seen_from_grandchild[0].actor.as_str()
        ),
        ("Reseller One", 12, "reseller1")
    );
}

#[tokio::test]
async fn an_actor_may_not_read_a_parent_a_sibling_another_tree_or_a_missing_account() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let n = neighbours(&ledger).await;

    for (reader, target) in [
        (&n.reseller_one, direct.account()),
        (&n.reseller_one, example.reseller_two),
        (&n.reseller_one, example.customer_one),
        (&n.customer_one, direct.account()),
        (&n.customer_one, example.reseller_one),
        (&n.grandchild, example.reseller_one),
        (&n.grandchild, example.customer_one),
        (direct, ledger.platform_id()),
        (direct, n.stranger.account()),
        (direct, n.strangers_customer.account()),
        (&n.stranger, example.customer_one),
        (direct, AccountId(424_242)),
    ] {
        let error = ledger
            .account_transfers(reader, Some(target), None, 10)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ReadError::NotVisible),
            "{} reads {target}: {error:?}",
            reader.name()
        );
    }
}

#[tokio::test]
async fn a_customer_has_no_sub_accounts_to_list() {
    let (_db, ledger, _) = with_worked_example().await;
    let customer_one = actor(&ledger, "customer1").await;

    let error = ledger.sub_accounts(&customer_one).await.unwrap_err();

    assert!(matches!(error, ReadError::NotAReseller), "{error:?}");
}

#[tokio::test]
async fn an_actor_lists_its_direct_sub_accounts_only_by_name() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;

    let direct_subs: Vec<_> = ledger
        .sub_accounts(&example.direct)
        .await
        .unwrap()
        .into_iter()
        .map(|sub| (sub.account.name, sub.login))
        .collect();
    let reseller_one_subs = ledger.sub_accounts(&n.reseller_one).await.unwrap();

    assert_eq!(
        direct_subs,
        [
            ("Customer One".into(), Some("customer1".into())),
            ("Reseller One".into(), Some("reseller1".into())),
            ("Reseller Two".into(), Some("reseller2".into())),
        ]
    );
    assert_eq!(reseller_one_subs.len(), 1);
    assert_eq!(reseller_one_subs[0].account.id, n.grandchild.account());
    assert!(
        ledger
            .sub_accounts(&n.reseller_two)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_actor_reads_its_own_account_with_its_balance() {
    let (_db, ledger, example) = with_worked_example().await;
    ledger
        .grant(&example.direct, &transfer_request(example.customer_one, 30))
        .await
        .unwrap();

    let direct = ledger.own_account(&example.direct).await.unwrap();
    let customer_one = ledger
        .own_account(&actor(&ledger, "customer1").await)
        .await
        .unwrap();

    assert_eq!((direct.id, direct.balance), (example.direct.account(), 70));
    assert_eq!(
        (customer_one.id, customer_one.kind, customer_one.balance),
        (example.customer_one, AccountKind::Customer, 30)
    );
    assert_eq!(customer_one.parent_id, Some(example.direct.account()));
}
