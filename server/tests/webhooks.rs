//! Webhook deliveries against a receiver in the test: signed with the account's secret, sent once
//! per event and webhook even with two workers, retried until the receiver takes them, and never
//! for a movement that rolled back.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use ledger::testing::{actor, operator, transfer_request, usage_debit};
use ledger::{
    AccountStatus, BalanceRules, DbSettings, DeliveryStatus, Ledger, WebhookSecret, WebhookUrl,
};
use server::webhooks::{self, WebhookSettings};
use sha2::Sha256;
use support::TestApp;

const WAIT: Duration = Duration::from_secs(10);

/// One post the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn event(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON event")
    }

    fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().unwrap()
    }
}

/// A webhook receiver on a free port: records every post, and answers 500 to the first
/// `failures` of them.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    failures: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(failures: usize) -> (Self, String) {
        let receiver = Self {
            failures: Arc::new(Mutex::new(failures)),
            ..Self::default()
        };
        let app = Router::new()
            .route("/{path}", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until a post with event `kind` reached `path`.
    async fn wait_for(&self, path: &str, kind: &str) -> Received {
        tokio::time::timeout(WAIT, async {
            loop {
                let found = self
                    .got()
                    .into_iter()
                    .find(|got| got.path == path && got.event()["type"] == kind);
                if let Some(found) = found {
                    return found;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {kind} at /{path}; got {:?}", self.got()))
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.got.lock().unwrap().push(Received {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut failures = receiver.failures.lock().unwrap();
    if *failures > 0 {
        *failures -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

fn fast_retries() -> WebhookSettings {
    WebhookSettings {
        retry_base: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
    }
}

async fn set_webhook(ledger: &Ledger, login: &str, url: &str) -> WebhookSecret {
    let url = WebhookUrl::parse(url).unwrap();
    ledger
        .set_webhook(&actor(ledger, login).await, &url)
        .await
        .unwrap()
}

/// What a receiver does to check a delivery: HMAC-SHA256 of "<t>.<body>" with the secret.
fn signature_verifies(received: &Received, secret: &WebhookSecret) -> bool {
    let header = received.header("creditdesk-signature");
    let parts: HashMap<&str, &str> = header
        .split(',')
        .filter_map(|part| part.split_once('='))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts["t"], received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    parts["v1"] == expected
}

#[tokio::test]
async fn a_low_balance_alert_reaches_both_webhooks_signed() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start(0).await;
    let parent_secret = set_webhook(&app.ledger, "direct", &format!("{url}/direct")).await;
    let customer_secret = set_webhook(&app.ledger, "customer1", &format!("{url}/customer")).await;
    let rules = BalanceRules::new(Some(10), None).unwrap();
    app.ledger
        .set_balance_rules(&app.example.direct, app.example.customer_one, &rules)
        .await
        .unwrap();
    webhooks::start(app.ledger.clone(), fast_retries());

    app.ledger
        .grant(
            &app.example.direct,
            &transfer_request(app.example.customer_one, 30),
        )
        .await
        .unwrap();
    app.ledger
        .usage(
            &app.ledger.platform_actor(&operator()),
            &usage_debit(app.example.customer_one, 25),
        )
        .await
        .unwrap();

    let to_parent = receiver.wait_for("direct", "low_balance").await;
    let to_customer = receiver.wait_for("customer", "low_balance").await;
    assert!(signature_verifies(&to_parent, &parent_secret));
    assert!(signature_verifies(&to_customer, &customer_secret));
    assert!(
        !signature_verifies(&to_parent, &customer_secret),
        "each webhook has its own key"
    );
    let event = to_parent.event();
    assert_eq!(to_parent.header("creditdesk-event-id"), event["id"]);
    assert_eq!(to_parent.header("creditdesk-event-type"), "low_balance");
    assert_eq!(event["data"]["balance"], 5);
    assert_eq!(event["data"]["alert_below"], 10);
    assert_eq!(
        to_customer.event()["id"],
        event["id"],
        "one event, two receivers"
    );
    let received = receiver.wait_for("customer", "transfer.received").await;
    assert_eq!(received.event()["data"]["amount"], 30);
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_event_on_the_fourth_attempt() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start(3).await;
    set_webhook(&app.ledger, "customer1", &format!("{url}/customer")).await;
    webhooks::start(app.ledger.clone(), fast_retries());

    app.ledger
        .grant(
            &app.example.direct,
            &transfer_request(app.example.customer_one, 30),
        )
        .await
        .unwrap();

    let customer = actor(&app.ledger, "customer1").await;
    tokio::time::timeout(WAIT, async {
        loop {
            let deliveries = app.ledger.webhook_deliveries(&customer, 10).await.unwrap();
            if deliveries
                .first()
                .is_some_and(|d| d.status == DeliveryStatus::Delivered)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("delivered in the end");
    let delivery = &app.ledger.webhook_deliveries(&customer, 10).await.unwrap()[0];
    assert_eq!(
        (delivery.attempts, delivery.last_response_code),
        (4, Some(200))
    );
    let attempts = app.ledger.webhook_attempts(&customer, 10).await.unwrap();
    let codes: Vec<_> = attempts.iter().rev().map(|a| a.response_code).collect();
    assert_eq!(codes, [Some(500), Some(500), Some(500), Some(200)]);
    let posted: Vec<_> = receiver
        .got()
        .iter()
        .map(|got| got.event()["id"].clone())
        .collect();
    assert_eq!(posted.len(), 4);
    assert!(
        posted.iter().all(|id| *id == posted[0]),
        "every attempt is the same event"
    );
}

#[tokio::test]
async fn two_workers_deliver_each_event_once() {
    let app = TestApp::spawn().await;
    let second = Ledger::connect(&DbSettings::new(app.database_url()))
        .await
        .unwrap();
    let (receiver, url) = Receiver::start(0).await;
    set_webhook(&app.ledger, "customer1", &format!("{url}/customer")).await;
    webhooks::start(app.ledger.clone(), fast_retries());
    webhooks::start(second.clone(), fast_retries());

    const GRANTS: usize = 20;
    for _ in 0..GRANTS {
        app.ledger
            .grant(
                &app.example.direct,
                &transfer_request(app.example.customer_one, 1),
            )
            .await
            .unwrap();
    }

    let customer = actor(&app.ledger, "customer1").await;
    tokio::time::timeout(WAIT, async {
        loop {
            let deliveries = app.ledger.webhook_deliveries(&customer, 50).await.unwrap();
            let delivered = deliveries
                .iter()
                .filter(|d| d.status == DeliveryStatus::Delivered)
                .count();
            if delivered == GRANTS {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("every event delivered");
    let mut ids: Vec<_> = receiver
        .got()
        .iter()
        .map(|got| got.event()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), GRANTS, "{ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), GRANTS);
}

#[tokio::test]
async fn a_movement_that_rolled_back_sends_nothing() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start(0).await;
    set_webhook(&app.ledger, "direct", &format!("{url}/direct")).await;
    set_webhook(&app.ledger, "reseller2", &format!("{url}/reseller2")).await;
    set_webhook(&app.ledger, "customer1", &format!("{url}/customer")).await;
    let rules = BalanceRules::new(Some(50), None).unwrap();
    let direct = &app.example.direct;
    app.ledger
        .set_balance_rules(direct, direct.account(), &rules)
        .await
        .unwrap();
    app.ledger
        .set_sub_account_status(direct, app.example.reseller_two, AccountStatus::Suspended)
        .await
        .unwrap();
    webhooks::start(app.ledger.clone(), fast_retries());

    // Debits the direct reseller below 50, then is refused: Reseller Two is suspended.
    let refused = app
        .ledger
        .grant(direct, &transfer_request(app.example.reseller_two, 60))
        .await;
    assert!(refused.is_err());
    app.ledger
        .grant(direct, &transfer_request(app.example.customer_one, 1))
        .await
        .unwrap();

    receiver.wait_for("customer", "transfer.received").await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "only the grant that committed: {got:?}");
}
