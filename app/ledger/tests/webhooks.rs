//! The webhook outbox, without HTTP: a movement queues its events for the webhooks that exist; a
//! claimed delivery is left alone until its lease ends; failures are retried with a doubling wait
//! for a day, then marked failed; "Send again" queues one more time, for its own account only.

use std::time::Duration;

use ledger::testing::{TestDatabase, actor, transfer_request, worked_example};
use ledger::{
    Clock, DeliveryStatus, DueDelivery, Ledger, PostOutcome, WebhookError, WebhookUrl,
    WorkedExample,
};

const LEASE: Duration = Duration::from_secs(60);
const BASE: Duration = Duration::from_secs(10);

/// The worked example on a manual clock, with a webhook on Customer One and one grant to it.
async fn one_delivery() -> (TestDatabase, Ledger, Clock, WorkedExample) {
    let db = TestDatabase::new().await;
    let clock = Clock::manual(1_800_000_000_000);
    let ledger = db.ledger().await.with_clock(clock.clone());
    let example = worked_example(&ledger).await;
    let customer = actor(&ledger, "customer1").await;
    let url = WebhookUrl::parse("https://example.com/hook").unwrap();
    ledger.set_webhook(&customer, &url).await.unwrap();
    ledger
        .grant(&example.direct, &transfer_request(example.customer_one, 30))
        .await
        .unwrap();
    (db, ledger, clock, example)
}

fn failed() -> PostOutcome {
    PostOutcome {
        response_code: Some(500),
        error: Some("answered 500".into()),
        duration: Duration::from_millis(3),
    }
}

async fn claim_one(ledger: &Ledger) -> Option<DueDelivery> {
    let mut due = ledger.claim_deliveries(10, LEASE).await.unwrap();
    assert!(due.len() <= 1, "{due:?}");
    due.pop()
}

#[tokio::test]
async fn a_movement_queues_an_event_for_each_webhook_that_exists() {
    let (_db, ledger, _clock, example) = one_delivery().await;

    let due = claim_one(&ledger).await.expect("the grant's event");
    assert_eq!(
        (due.event_type.as_str(), due.attempt),
        ("transfer.received", 1)
    );
    assert!(due.body.contains("\"amount\":30"), "{}", due.body);
    assert_eq!(due.url, "https://example.com/hook");
    // The direct reseller, which has no webhook, got nothing queued for its grant's alerts or receipts.
    let direct_deliveries = ledger
        .webhook_deliveries(&example.direct, 10)
        .await
        .unwrap();
    assert!(direct_deliveries.is_empty());
}

#[tokio::test]
async fn a_claimed_delivery_waits_for_its_lease_to_end_before_another_claim() {
    let (_db, ledger, clock, _example) = one_delivery().await;
    let first = claim_one(&ledger).await.unwrap();

    assert!(claim_one(&ledger).await.is_none(), "claimed once");
    clock.advance(LEASE + Duration::from_millis(1));
    let again = claim_one(&ledger)
        .await
        .expect("a worker that died leaves it to another");
    assert_eq!((again.id, again.attempt), (first.id, 2));
}

#[tokio::test]
async fn failures_are_retried_with_a_doubling_wait_then_marked_failed_after_a_day() {
    let (_db, ledger, clock, _example) = one_delivery().await;
    let customer = actor(&ledger, "customer1").await;

    for wait in [BASE, BASE * 2, BASE * 4] {
        let due = claim_one(&ledger).await.expect("due");
        ledger.record_attempt(&due, &failed(), BASE).await.unwrap();
        clock.advance(wait - Duration::from_millis(1));
        assert!(claim_one(&ledger).await.is_none(), "not before {wait:?}");
        clock.advance(Duration::from_millis(1));
    }
    let delivery = &ledger.webhook_deliveries(&customer, 10).await.unwrap()[0];
    assert_eq!(
        (delivery.status, delivery.attempts),
        (DeliveryStatus::Pending, 3)
    );
    assert_eq!(
        ledger.webhook_attempts(&customer, 10).await.unwrap().len(),
        3
    );

    clock.advance(Duration::from_secs(24 * 60 * 60));
    let due = claim_one(&ledger).await.expect("due");
    ledger.record_attempt(&due, &failed(), BASE).await.unwrap();
    let delivery = &ledger.webhook_deliveries(&customer, 10).await.unwrap()[0];
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert!(
        claim_one(&ledger).await.is_none(),
        "a failed delivery is not tried again"
    );

    ledger.send_again(&customer, delivery.id).await.unwrap();
    assert!(
        claim_one(&ledger).await.is_some(),
        "Send again queues it at once"
    );
}

#[tokio::test]
async fn send_again_is_for_the_deliveries_of_ones_own_account() {
    let (_db, ledger, _clock, example) = one_delivery().await;
    let customer = actor(&ledger, "customer1").await;
    let delivery = ledger.webhook_deliveries(&customer, 10).await.unwrap()[0].id;

    assert!(matches!(
        ledger.send_again(&example.direct, delivery).await,
        Err(WebhookError::DeliveryNotFound)
    ));
}

#[tokio::test]
async fn removing_the_webhook_ends_its_pending_deliveries() {
    let (_db, ledger, _clock, _example) = one_delivery().await;
    let customer = actor(&ledger, "customer1").await;

    ledger.remove_webhook(&customer).await.unwrap();

    assert!(claim_one(&ledger).await.is_none());
    let delivery = &ledger.webhook_deliveries(&customer, 10).await.unwrap()[0];
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(ledger.webhook(&customer).await.unwrap(), None);
}
