//! The one fixture every test starts from, and the product's worked example played on it: 100
//! credits, 30 to each of three sub-accounts, 10 left.

use ledger::testing::{
    TestDatabase, actor, assert_verified, balance, open_direct_reseller, operator,
    transfer_request, with_worked_example, worked_example,
};
use ledger::{AccountKind, AccountStatus, DEMO_PASSWORD, WorkedExampleError};

#[tokio::test]
async fn the_worked_example_is_a_direct_reseller_with_100_credits_and_three_empty_sub_accounts() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;

    let example = worked_example(&ledger).await;

    let direct = ledger.own_account(&example.direct).await.unwrap();
    assert_eq!(
        (direct.kind, direct.parent_id, direct.name.as_str()),
        (
            AccountKind::DirectReseller,
            Some(ledger.platform_id()),
            "Direct Reseller"
        )
    );
    assert_eq!(direct.balance, 100);
    assert_eq!(example.direct, actor(&ledger, "direct").await);
    let subs = ledger.sub_accounts(&example.direct).await.unwrap();
    let seen: Vec<_> = subs
        .iter()
        .map(|sub| {
            (
                sub.account.id,
                sub.account.kind,
                sub.login.as_deref(),
                sub.account.balance,
                sub.account.status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                example.customer_one,
                AccountKind::Customer,
                Some("customer1"),
                0,
                AccountStatus::Active
            ),
            (
                example.reseller_one,
                AccountKind::Reseller,
                Some("reseller1"),
                0,
                AccountStatus::Active
            ),
            (
                example.reseller_two,
                AccountKind::Reseller,
                Some("reseller2"),
                0,
                AccountStatus::Active
            ),
        ]
    );
    for login in ["direct", "reseller1", "reseller2", "customer1"] {
        ledger
            .sign_in(login, DEMO_PASSWORD, "10.0.0.1")
            .await
            .unwrap_or_else(|error| panic!("{login} signs in with the demo password: {error:?}"));
    }
    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(
        (report.accounts, report.transfers, report.in_circulation),
        (5, 1, 100)
    );
}

#[tokio::test]
async fn the_worked_example_leaves_the_direct_reseller_with_10() {
    let (_db, ledger, example) = with_worked_example().await;

    for sub in example.sub_accounts() {
        ledger
            .grant(&example.direct, &transfer_request(sub, 30))
            .await
            .unwrap();
    }

    assert_eq!(balance(&ledger, example.direct.account()).await, 10);
    for sub in example.sub_accounts() {
        assert_eq!(balance(&ledger, sub).await, 30);
    }
    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 100);
    assert_eq!(report.transfers, 4);
}

#[tokio::test]
async fn the_worked_example_goes_into_an_empty_database_only() {
    let (_db, ledger, _) = with_worked_example().await;

    let again = ledger.load_worked_example(&operator()).await.unwrap_err();
    assert!(matches!(again, WorkedExampleError::NotEmpty), "{again:?}");
    let report = ledger.verify(&operator()).await.unwrap();
    assert_eq!((report.accounts, report.transfers), (5, 1));
    assert_verified(&ledger).await;

    let other_db = TestDatabase::new().await;
    let other = other_db.ledger().await;
    open_direct_reseller(&other, "Someone Else", "someone").await;
    let refused = other.load_worked_example(&operator()).await.unwrap_err();
    assert!(
        matches!(refused, WorkedExampleError::NotEmpty),
        "{refused:?}"
    );
    let report = other.verify(&operator()).await.unwrap();
    assert_eq!((report.accounts, report.transfers), (2, 0));
}
