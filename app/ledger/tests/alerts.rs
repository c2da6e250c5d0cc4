//! Low-balance alerts and auto-replenish: a crossing fires once, in the movement's own transaction;
//! a replenish is an ordinary grant from the parent, made once per crossing, never overdrawing, and
//! a chain of them ends.

use ledger::testing::{
    actor, assert_verified, balance, operator, transfer_request, usage_debit, with_worked_example,
};
use ledger::{
    AccountId, AccountKind, AccountStatus, Actor, AlertKind, BalanceRules, Ledger, Replenish,
    RulesError, TransferKind, WorkedExample,
};

fn platform(ledger: &Ledger) -> Actor {
    ledger.platform_actor(&operator())
}

async fn grant(ledger: &Ledger, from: &Actor, to: AccountId, credits: i64) {
    ledger
        .grant(from, &transfer_request(to, credits))
        .await
        .unwrap();
}

async fn spend(ledger: &Ledger, account: AccountId, credits: i64) {
    ledger
        .usage(&platform(ledger), &usage_debit(account, credits))
        .await
        .unwrap();
}

fn alert_below(level: i64) -> BalanceRules {
    BalanceRules::new(Some(level), None).unwrap()
}

fn replenish(below: i64, up_to: i64) -> BalanceRules {
    BalanceRules::new(None, Some(Replenish { below, up_to })).unwrap()
}

/// Customer One with 30 credits and an alert below 10, set by its parent.
async fn watched_customer() -> (ledger::testing::TestDatabase, Ledger, WorkedExample) {
    let (db, ledger, example) = with_worked_example().await;
    grant(&ledger, &example.direct, example.customer_one, 30).await;
    ledger
        .set_balance_rules(&example.direct, example.customer_one, &alert_below(10))
        .await
        .unwrap();
    (db, ledger, example)
}

/// Customer One with 30 credits, topped up to 40 from its parent when it falls below 10.
async fn replenished_customer() -> (ledger::testing::TestDatabase, Ledger, WorkedExample) {
    let (db, ledger, example) = with_worked_example().await;
    grant(&ledger, &example.direct, example.customer_one, 30).await;
    ledger
        .set_balance_rules(&example.direct, example.customer_one, &replenish(10, 40))
        .await
        .unwrap();
    (db, ledger, example)
}

#[tokio::test]
async fn a_balance_falling_below_its_threshold_alerts_once_per_crossing() {
    let (_db, ledger, example) = watched_customer().await;

    spend(&ledger, example.customer_one, 15).await; // 15: above
    spend(&ledger, example.customer_one, 6).await; // 9: crosses
    spend(&ledger, example.customer_one, 4).await; // 5: already below
    let alerts = ledger.alerts(&example.direct, 10).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (
            alerts[0].kind,
            alerts[0].account,
            alerts[0].balance,
            alerts[0].threshold
        ),
        (AlertKind::LowBalance, example.customer_one, 9, 10)
    );

    grant(&ledger, &example.direct, example.customer_one, 20).await; // 25: back above
    spend(&ledger, example.customer_one, 20).await; // 5: crosses again
    assert_eq!(ledger.alerts(&example.direct, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_alert_shows_to_the_account_and_its_parent_and_no_one_else() {
    let (_db, ledger, example) = watched_customer().await;
    spend(&ledger, example.customer_one, 25).await;

    let customer = actor(&ledger, "customer1").await;
    let reseller = actor(&ledger, "reseller1").await;
    assert_eq!(ledger.alerts(&customer, 10).await.unwrap().len(), 1);
    assert_eq!(ledger.alerts(&example.direct, 10).await.unwrap().len(), 1);
    assert!(ledger.alerts(&reseller, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn unread_alerts_are_counted_until_read() {
    let (_db, ledger, example) = watched_customer().await;
    spend(&ledger, example.customer_one, 25).await;
    let customer = actor(&ledger, "customer1").await;
    assert_eq!(ledger.unread_alerts(&example.direct).await.unwrap(), 1);

    let newest = ledger.alerts(&example.direct, 10).await.unwrap()[0].id;
    ledger
        .mark_alerts_read(&example.direct, newest)
        .await
        .unwrap();

    assert_eq!(ledger.unread_alerts(&example.direct).await.unwrap(), 0);
    assert_eq!(
        ledger.unread_alerts(&customer).await.unwrap(),
        1,
        "each reader reads its own"
    );
}

#[tokio::test]
async fn a_movement_refused_after_its_debit_fires_nothing() {
    let (_db, ledger, example) = with_worked_example().await;
    // The direct reseller, below 50 after any grant of 60; Reseller Two is suspended, so a grant
    // to it debits the direct reseller, then is refused and rolled back.
    ledger
        .set_balance_rules(&example.direct, example.direct.account(), &alert_below(50))
        .await
        .unwrap();
    ledger
        .set_sub_account_status(
            &example.direct,
            example.reseller_two,
            AccountStatus::Suspended,
        )
        .await
        .unwrap();

    let refused = ledger
        .grant(&example.direct, &transfer_request(example.reseller_two, 60))
        .await;

    assert!(refused.is_err());
    assert!(ledger.alerts(&example.direct, 10).await.unwrap().is_empty());
    assert_eq!(balance(&ledger, example.direct.account()).await, 100);
}

#[tokio::test]
async fn usage_below_the_level_tops_the_account_up_from_its_parent_once() {
    let (_db, ledger, example) = replenished_customer().await;

    let debit = usage_debit(example.customer_one, 25);
    let spent = ledger.usage(&platform(&ledger), &debit).await.unwrap();
    ledger.usage(&platform(&ledger), &debit).await.unwrap(); // a retry: moves nothing

    assert_eq!(balance(&ledger, example.customer_one).await, 40);
    assert_eq!(
        balance(&ledger, example.direct.account()).await,
        100 - 30 - 35
    );
    let transfers = ledger
        .account_transfers(&example.direct, Some(example.customer_one), None, 10)
        .await
        .unwrap();
    let replenished = &transfers[0];
    assert_eq!(
        (
            replenished.kind,
            replenished.change,
            replenished.actor.as_str()
        ),
        (TransferKind::Grant, 35, "auto-replenish")
    );
    assert!(
        replenished.note.contains(&format!("transfer {}", spent.id)),
        "{}",
        replenished.note
    );
    assert_eq!(transfers.len(), 3, "the grant, the usage and one top-up");

    spend(&ledger, example.customer_one, 5).await; // 35: above the level, nothing happens
    assert_eq!(balance(&ledger, example.customer_one).await, 35);
    assert_verified(&ledger).await;
}

/// A replenish moves balances outside the movement that set it off; the movements after it in the
/// same batch see the balances it left: the parent's, lower, and the account's, topped up.
#[tokio::test]
async fn movements_after_a_replenish_in_the_same_batch_see_the_balances_it_left() {
    let (_db, ledger, example) = replenished_customer().await;
    let platform = platform(&ledger);

    // Queued together, in this order, so that the writer takes them as one batch.
    let (usage, grant, more_usage) = {
        let spend = |credits| {
            let (ledger, platform) = (ledger.clone(), platform.clone());
            let debit = usage_debit(example.customer_one, credits);
            tokio::spawn(async move { ledger.usage(&platform, &debit).await })
        };
        let usage = spend(25); // 30 → 5: tops up to 40, from the direct reseller's 70 → 35
        let grant = {
            let (ledger, direct) = (ledger.clone(), example.direct.clone());
            let request = transfer_request(example.reseller_one, 50);
            tokio::spawn(async move { ledger.grant(&direct, &request).await })
        };
        let more_usage = spend(30); // 40 → 10
        (usage, grant, more_usage)
    };

    usage.await.unwrap().unwrap();
    let refused = grant.await.unwrap();
    assert!(
        matches!(
            refused,
            Err(ledger::TransferError::NotEnoughCredits {
                available: 35,
                requested: 50
            })
        ),
        "{refused:?}"
    );
    assert_eq!(more_usage.await.unwrap().unwrap().from_balance_after, 10);
    assert_eq!(balance(&ledger, example.customer_one).await, 10);
    assert_eq!(balance(&ledger, example.direct.account()).await, 35);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_parent_short_of_credits_moves_nothing_and_is_alerted() {
    let (_db, ledger, example) = with_worked_example().await;
    grant(&ledger, &example.direct, example.customer_one, 30).await;
    grant(&ledger, &example.direct, example.reseller_one, 70).await; // direct: 0 left
    ledger
        .set_balance_rules(&example.direct, example.customer_one, &replenish(10, 40))
        .await
        .unwrap();

    spend(&ledger, example.customer_one, 25).await;

    assert_eq!(balance(&ledger, example.customer_one).await, 5);
    assert_eq!(balance(&ledger, example.direct.account()).await, 0);
    let alerts = ledger.alerts(&example.direct, 10).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].kind, alerts[0].account, alerts[0].balance),
        (AlertKind::AutoReplenishFailed, example.customer_one, 5)
    );
    let customer = actor(&ledger, "customer1").await;
    assert!(
        ledger.alerts(&customer, 10).await.unwrap().is_empty(),
        "the parent lacked the credits, not the customer"
    );
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_chain_of_replenishes_climbs_the_tree_once_per_account_and_ends() {
    let (_db, ledger, example) = with_worked_example().await;
    let reseller = actor(&ledger, "reseller1").await;
    let grandchild = ledger::testing::open(
        &ledger,
        &reseller,
        AccountKind::Customer,
        "Grandchild",
        "grandchild",
    )
    .await;
    grant(&ledger, &example.direct, example.reseller_one, 40).await; // direct 60
    grant(&ledger, &reseller, grandchild.account(), 20).await; // reseller1 20
    ledger
        .set_balance_rules(&reseller, grandchild.account(), &replenish(5, 20))
        .await
        .unwrap();
    ledger
        .set_balance_rules(&example.direct, example.reseller_one, &replenish(8, 30))
        .await
        .unwrap();

    // The grandchild falls to 4 and gets 16 from reseller1, which falls to 4 and gets 26 from the
    // direct reseller, whose own balance has no rule: the chain ends there.
    spend(&ledger, grandchild.account(), 16).await;

    assert_eq!(balance(&ledger, grandchild.account()).await, 20);
    assert_eq!(balance(&ledger, example.reseller_one).await, 30);
    assert_eq!(balance(&ledger, example.direct.account()).await, 34);
    let automatic = |transfers: Vec<ledger::AccountTransfer>| {
        transfers
            .into_iter()
            .filter(|transfer| transfer.actor == "auto-replenish")
            .map(|transfer| transfer.change)
            .collect::<Vec<_>>()
    };
    let of = |account| ledger.account_transfers(&example.direct, Some(account), None, 50);
    assert_eq!(automatic(of(grandchild.account()).await.unwrap()), [16]);
    assert_eq!(
        automatic(of(example.reseller_one).await.unwrap()),
        [26, -16]
    );
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn a_revoke_does_not_refill_what_the_parent_took_back() {
    let (_db, ledger, example) = replenished_customer().await;

    ledger
        .revoke(&example.direct, &transfer_request(example.customer_one, 25))
        .await
        .unwrap();

    assert_eq!(balance(&ledger, example.customer_one).await, 5);
}

#[tokio::test]
async fn rules_are_set_by_the_account_or_its_parent_only() {
    let (_db, ledger, example) = with_worked_example().await;
    let reseller = actor(&ledger, "reseller1").await;
    let customer = actor(&ledger, "customer1").await;

    assert!(matches!(
        ledger
            .set_balance_rules(&reseller, example.customer_one, &alert_below(5))
            .await,
        Err(RulesError::SubAccountNotFound)
    ));
    assert!(matches!(
        ledger
            .set_balance_rules(&customer, customer.account(), &replenish(5, 10))
            .await,
        Err(RulesError::ReplenishOwnAccount)
    ));
    ledger
        .set_balance_rules(&customer, customer.account(), &alert_below(5))
        .await
        .unwrap();
    assert_eq!(
        ledger
            .balance_rules(&example.direct, example.customer_one)
            .await
            .unwrap(),
        alert_below(5)
    );
    assert!(matches!(
        ledger.balance_rules(&reseller, example.customer_one).await,
        Err(RulesError::SubAccountNotFound)
    ));
}

#[test]
fn a_top_up_level_must_be_above_its_trigger_and_levels_positive() {
    assert!(matches!(
        BalanceRules::new(
            None,
            Some(Replenish {
                below: 10,
                up_to: 10
            })
        ),
        Err(RulesError::TopUpNotAbove {
            below: 10,
            up_to: 10
        })
    ));
    assert!(matches!(
        BalanceRules::new(Some(0), None),
        Err(RulesError::OutOfRange)
    ));
    assert!(matches!(
        BalanceRules::new(
            None,
            Some(Replenish {
                below: -1,
                up_to: 10
            })
        ),
        Err(RulesError::OutOfRange)
    ));
}
