//! Usage debits: the platform takes back credits an account spent on messages, as `usage`
//! transfers that never take an account below zero, are applied once per idempotency key, show in
//! the account's transfers, and that `verify` counts.

use std::sync::Arc;

use ledger::testing::{
    actor, api_key, assert_verified, balance, operator, operator_key, transfer_request,
    usage_debit, with_worked_example,
};
use ledger::{Actor, Ledger, Note, TransferError, TransferKind, UsageDebit, WorkedExample};

/// The sms-gateway's operator key, as the ledger resolves it.
async fn gateway(ledger: &Ledger) -> Actor {
    let secret = operator_key(ledger, "sms-gateway").await;
    ledger.actor_for_key(&secret).await.unwrap().unwrap().0
}

/// The worked example with `credits` given to Customer One.
async fn customer_with(ledger: &Ledger, example: &WorkedExample, credits: i64) {
    ledger
        .grant(
            &example.direct,
            &transfer_request(example.customer_one, credits),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn usage_moves_credits_back_to_the_platform_and_verify_counts_it() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 30).await;
    let gateway = gateway(&ledger).await;

    let debit = ledger
        .usage(&gateway, &usage_debit(example.customer_one, 8))
        .await
        .unwrap();

    assert_eq!(debit.kind, TransferKind::Usage);
    assert_eq!(
        (debit.from, debit.to),
        (example.customer_one, ledger.platform_id())
    );
    assert_eq!(balance(&ledger, example.customer_one).await, 22);
    assert_eq!(balance(&ledger, ledger.platform_id()).await, -92);
    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 92, "used credits leave circulation");

    let customer = actor(&ledger, "customer1").await;
    let seen = ledger
        .account_transfers(&customer, None, None, 10)
        .await
        .unwrap();
    assert_eq!(
        (seen[0].kind, seen[0].change, seen[0].balance_after),
        (TransferKind::Usage, -8, 22)
    );
    assert_eq!(seen[0].actor, "API key: sms-gateway");
    assert_eq!(seen[0].note, "test usage");
}

#[tokio::test]
async fn usage_never_takes_an_account_below_zero_and_says_what_it_has() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 5).await;
    let gateway = gateway(&ledger).await;

    let short = ledger
        .usage(&gateway, &usage_debit(example.customer_one, 8))
        .await
        .unwrap_err();

    assert!(
        matches!(
            &short,
            TransferError::UsageShort { name, available: 5, requested: 8 } if name == "Customer One"
        ),
        "{short:?}"
    );
    assert_eq!(balance(&ledger, example.customer_one).await, 5);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn the_same_usage_key_charges_once_and_a_reused_key_is_refused() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 30).await;
    let gateway = gateway(&ledger).await;
    let debit = usage_debit(example.customer_one, 8);

    let first = ledger.usage(&gateway, &debit).await.unwrap();
    let again = ledger.usage(&gateway, &debit).await.unwrap();
    let different = UsageDebit {
        reference: Note::parse("another batch").unwrap(),
        ..debit.clone()
    };
    let reused = ledger.usage(&gateway, &different).await.unwrap_err();

    assert_eq!(first.transfer, again.transfer);
    assert_eq!((first.replayed, again.replayed), (false, true));
    assert!(matches!(reused, TransferError::KeyReused), "{reused:?}");
    assert_eq!(balance(&ledger, example.customer_one).await, 22);
}

#[tokio::test]
async fn only_the_platform_records_usage() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 30).await;
    let billing = api_key(&ledger, &example.direct, "Billing", "read,transfer,manage").await;
    let billing = ledger.actor_for_key(&billing).await.unwrap().unwrap().0;

    for not_the_platform in [&example.direct, &billing] {
        let error = ledger
            .usage(not_the_platform, &usage_debit(example.customer_one, 1))
            .await
            .unwrap_err();
        assert!(matches!(error, TransferError::UsageNotAllowed), "{error:?}");
    }
    assert_eq!(balance(&ledger, example.customer_one).await, 30);
}

#[tokio::test]
async fn usage_of_a_missing_account_or_of_the_platform_is_refused() {
    let (_db, ledger, _example) = with_worked_example().await;
    let gateway = gateway(&ledger).await;
    for account in [ledger::AccountId(999_999), ledger.platform_id()] {
        let error = ledger
            .usage(&gateway, &usage_debit(account, 1))
            .await
            .unwrap_err();
        assert!(matches!(error, TransferError::AccountNotFound), "{error:?}");
    }
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn the_command_line_records_usage_as_the_platform() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 3).await;
    let platform = ledger.platform_actor(&operator());
    let debit = ledger
        .usage(&platform, &usage_debit(example.customer_one, 3))
        .await
        .unwrap();
    assert_eq!(debit.actor, "test");
    assert_eq!(balance(&ledger, example.customer_one).await, 0);
}

#[tokio::test]
async fn fifty_concurrent_usage_debits_never_overdraw_and_conserve_the_total() {
    let (_db, ledger, example) = with_worked_example().await;
    customer_with(&ledger, &example, 30).await;
    let gateway = Arc::new(gateway(&ledger).await);

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (ledger, gateway) = (ledger.clone(), Arc::clone(&gateway));
            let debit = usage_debit(example.customer_one, 1);
            tokio::spawn(async move { ledger.usage(&gateway, &debit).await })
        })
        .collect();
    let mut charged = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => charged += 1,
            Err(TransferError::UsageShort { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    assert_eq!(charged, 30);
    assert_eq!(balance(&ledger, example.customer_one).await, 0);
    let report = ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 70);
}
