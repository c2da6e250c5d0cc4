//! The alert settings, alerts and webhook server functions through the real router and HTTP:
//! results, who may reach what, and each refusal with its status and message.

mod support;

use app::error::AppError;
use app::model::{AlertKind, BalanceRules, BalanceRulesForm, DeliveryStatus, Replenish, RuleLevel};
use app::server_fns::{
    AlertSettings, Alerts, MarkAlertsRead, RemoveWebhook, SaveAlertSettings, SendAgain, SetWebhook,
    TransferCredits, UnreadAlerts, Webhook, WebhookDeliveries,
};
use ledger::testing;
use support::{Browser, Failure, TestApp, credit_request};

fn form(alert_below: &str, when_below: &str, top_up_to: &str) -> BalanceRulesForm {
    BalanceRulesForm {
        alert_below: alert_below.into(),
        when_below: when_below.into(),
        top_up_to: top_up_to.into(),
    }
}

async fn save(
    browser: &Browser,
    account_id: i64,
    form: BalanceRulesForm,
) -> Result<BalanceRules, Failure> {
    browser.call(SaveAlertSettings { account_id, form }).await
}

async fn transfer(browser: &Browser, to: i64, credits: &str) {
    browser
        .call(TransferCredits {
            request: credit_request(to, credits, "alerts test"),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn rules_set_on_a_sub_account_read_back_and_empty_fields_turn_them_off() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let customer = app.example.customer_one.0;

    let saved = save(&direct, customer, form("10", "5", "50"))
        .await
        .unwrap();
    let expected = BalanceRules {
        alert_below: Some(10),
        replenish: Some(Replenish {
            below: 5,
            up_to: 50,
        }),
    };
    assert_eq!(saved, expected);
    let read = direct
        .call(AlertSettings {
            account_id: customer,
        })
        .await
        .unwrap();
    assert_eq!(read, expected);

    save(&direct, customer, form("", " ", "")).await.unwrap();
    let off = direct
        .call(AlertSettings {
            account_id: customer,
        })
        .await
        .unwrap();
    assert_eq!(off, BalanceRules::default());
}

#[tokio::test]
async fn the_own_account_takes_an_alert_but_no_top_up() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let own = app.example.direct.account().0;

    let saved = save(&direct, own, form("20", "", "")).await.unwrap();
    assert_eq!(saved.alert_below, Some(20));
    let refused = save(&direct, own, form("20", "5", "50")).await.unwrap_err();
    assert_eq!(
        (refused.status, refused.error.to_string().as_str()),
        (
            422,
            "Only the account above yours can top it up automatically"
        )
    );
}

#[tokio::test]
async fn a_strangers_sub_account_is_refused_like_a_missing_one() {
    let app = TestApp::spawn().await;
    let neighbours = testing::neighbours(&app.ledger).await;
    let direct = app.signed_in("direct").await;
    let stranger = app.signed_in("stranger").await;
    let not_yours = Failure {
        status: 404,
        error: AppError::SubAccountNotFound,
    };

    for account_id in [
        app.example.customer_one.0,
        neighbours.grandchild.account().0,
        9_999,
    ] {
        let read = stranger.call(AlertSettings { account_id }).await;
        assert_eq!(read.unwrap_err(), not_yours, "{account_id}");
        let set = save(&stranger, account_id, form("10", "", "")).await;
        assert_eq!(set.unwrap_err(), not_yours, "{account_id}");
    }
    // Nor does the direct reseller reach its grandchild.
    let grandchild = neighbours.grandchild.account().0;
    let set = save(&direct, grandchild, form("10", "", "")).await;
    assert_eq!(set.unwrap_err(), not_yours);
    assert_eq!(
        not_yours.error.to_string(),
        "That account is not one of your sub-accounts"
    );
}

#[tokio::test]
async fn each_bad_level_has_its_own_typed_refusal() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let customer = app.example.customer_one.0;
    let cases = [
        (
            form("ten", "", ""),
            AppError::InvalidLevel {
                level: RuleLevel::AlertBelow,
            },
            "Alert below: enter a whole number of credits, e.g. 10",
        ),
        (
            form("", "-5", "50"),
            AppError::InvalidLevel {
                level: RuleLevel::WhenBelow,
            },
            "When below: enter a whole number of credits, e.g. 10",
        ),
        (
            form("0", "", ""),
            AppError::ZeroLevel {
                level: RuleLevel::AlertBelow,
            },
            "Alert below: enter 1 or more, or leave it empty to turn it off",
        ),
        (
            form("", "50", "50"),
            AppError::TopUpNotAbove,
            "Top up to must be more than When below",
        ),
        (
            form("", "50", ""),
            AppError::ReplenishIncomplete {
                missing: RuleLevel::TopUpTo,
            },
            "Fill in both When below and Top up to, or neither",
        ),
        (
            form("1000000001", "", ""),
            AppError::LevelTooHigh { max: 1_000_000_000 },
            "Keep each level to 1,000,000,000 credits or fewer",
        ),
    ];
    for (typed, error, message) in cases {
        let failure = save(&direct, customer, typed.clone()).await.unwrap_err();
        assert_eq!(failure, Failure { status: 422, error }, "{typed:?}");
        assert_eq!(failure.error.to_string(), message, "{typed:?}");
    }
    let unchanged = direct
        .call(AlertSettings {
            account_id: customer,
        })
        .await
        .unwrap();
    assert_eq!(unchanged, BalanceRules::default());
}

/// The direct reseller, signed in, once it has taken Customer One below its alert level of 10.
async fn customer_one_below_its_alert_level(app: &TestApp) -> Browser {
    let direct = app.signed_in("direct").await;
    let customer = app.example.customer_one.0;
    save(&direct, customer, form("10", "", "")).await.unwrap();
    transfer(&direct, customer, "30").await;
    transfer(&direct, customer, "-25").await;
    direct
}

#[tokio::test]
async fn a_balance_falling_below_its_level_is_an_unread_alert_until_the_alerts_are_opened() {
    let app = TestApp::spawn().await;
    let direct = customer_one_below_its_alert_level(&app).await;
    let customer = app.example.customer_one.0;

    assert_eq!(direct.call(UnreadAlerts {}).await.unwrap(), 1);
    let alerts = direct.call(Alerts {}).await.unwrap();
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(
        (alert.kind, alert.account_id, alert.unread),
        (AlertKind::LowBalance, customer, true)
    );
    assert_eq!(
        alert.sentence(),
        "Customer One fell below 10 credits: 5 left"
    );

    direct
        .call(MarkAlertsRead { newest: alert.id })
        .await
        .unwrap();
    assert_eq!(direct.call(UnreadAlerts {}).await.unwrap(), 0);
    assert!(!direct.call(Alerts {}).await.unwrap()[0].unread);
    // Another reseller sees none of it.
    let other = app.signed_in("reseller1").await;
    assert!(other.call(Alerts {}).await.unwrap().is_empty());
}

/// A page arrives with the bell's count in it, not a 0 for the browser to correct.
#[tokio::test]
async fn every_page_arrives_with_its_unread_alerts_on_the_bell() {
    let app = TestApp::spawn().await;
    let direct = customer_one_below_its_alert_level(&app).await;

    for path in ["/reseller/customers", "/transfers", "/webhooks"] {
        let html = direct.fetch(path).await.text().await.unwrap();
        assert!(
            html.contains(r#"aria-label="Alerts, 1 unread""#),
            "{path}: the bell is not rendered with its count"
        );
    }
}

#[tokio::test]
async fn a_saved_webhook_shows_its_secret_once_and_refuses_plain_http() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    assert_eq!(direct.call(Webhook {}).await.unwrap(), None);

    let made = direct
        .call(SetWebhook {
            url: "https://example.com/creditdesk".into(),
        })
        .await
        .unwrap();
    assert_eq!(made.url, "https://example.com/creditdesk");
    assert!(made.secret.starts_with("whsec_"), "{}", made.secret);

    // Read back, the webhook has its URL and never its secret.
    let response = direct.request(&Webhook {}).send().await.unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains("https://example.com/creditdesk"), "{body}");
    assert!(!body.contains("whsec_"), "{body}");

    let refusals = [
        (
            "http://example.com",
            AppError::WebhookUrlNotHttps,
            "A webhook URL must start with https:// (http:// only to localhost)",
        ),
        (
            "example dot com",
            AppError::WebhookUrlInvalid,
            "Enter a whole URL, e.g. https://example.com/creditdesk",
        ),
        (
            " ",
            AppError::WebhookUrlRequired,
            "Enter the URL to send events to",
        ),
    ];
    for (url, error, message) in refusals {
        let failure = direct
            .call(SetWebhook { url: url.into() })
            .await
            .unwrap_err();
        assert_eq!(failure, Failure { status: 422, error }, "{url}");
        assert_eq!(failure.error.to_string(), message, "{url}");
    }

    direct.call(RemoveWebhook {}).await.unwrap();
    assert_eq!(direct.call(Webhook {}).await.unwrap(), None);
}

#[tokio::test]
async fn send_again_refuses_a_delivery_that_does_not_exist() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let refused = direct
        .call(SendAgain { delivery_id: 9_999 })
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        Failure {
            status: 404,
            error: AppError::DeliveryNotFound
        }
    );
}

#[tokio::test]
async fn send_again_reaches_the_callers_own_deliveries_only() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let reseller = app.signed_in("reseller1").await;
    reseller
        .call(SetWebhook {
            url: "https://127.0.0.1:9/creditdesk".into(),
        })
        .await
        .unwrap();
    transfer(&direct, app.example.reseller_one.0, "30").await;

    let deliveries = reseller.call(WebhookDeliveries {}).await.unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let delivery = &deliveries[0];
    assert_eq!(delivery.event_type, "transfer.received");
    assert!(
        direct.call(WebhookDeliveries {}).await.unwrap().is_empty(),
        "the sender has no webhook"
    );

    let refused = direct
        .call(SendAgain {
            delivery_id: delivery.id,
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        Failure {
            status: 404,
            error: AppError::DeliveryNotFound
        }
    );
    assert_eq!(
        refused.error.to_string(),
        "That delivery is not one of yours"
    );

    reseller
        .call(SendAgain {
            delivery_id: delivery.id,
        })
        .await
        .unwrap();
    let again = reseller.call(WebhookDeliveries {}).await.unwrap();
    assert_eq!(again[0].status, DeliveryStatus::Pending);
}
