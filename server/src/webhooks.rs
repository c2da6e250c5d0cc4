//! The webhook delivery worker: claims due deliveries from the ledger's outbox, posts each one
//! signed, and records how it went. Every server runs one; the ledger's claim keeps them from
//! posting the same delivery at the same time.
//!
//! A delivery is a `POST` of the event's JSON with these headers:
//! - `Creditdesk-Event-Id`: the event's id, the same on every attempt: receivers deduplicate by it
//!   (a server that dies between posting and recording posts again);
//! - `Creditdesk-Event-Type`: `low_balance`, `transfer.received` or `auto_replenish.failed`;
//! - `Creditdesk-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the
//!   webhook's secret>`.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use ledger::{DueDelivery, Ledger, PostOutcome};
use sha2::Sha256;

/// How the worker posts and retries.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// The wait after the first failure; it doubles with each failure after, up to an hour.
    pub retry_base: Duration,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

/// Deliveries one worker claims at a time.
const CLAIM: u32 = 16;
/// How long a claim keeps other workers off a delivery: well past the timeout, so that only a dead
/// worker's claims run out.
const LEASE: Duration = Duration::from_secs(60);
/// The longest the worker sleeps when nothing wakes it: deliveries waiting for a retry become due
/// with no commit to announce them.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// How long the worker lets commits gather before it looks for what they queued.
const SETTLE: Duration = Duration::from_millis(250);

/// Starts the worker on the current runtime.
pub fn start(ledger: Ledger, settings: WebhookSettings) {
    tokio::spawn(run(ledger, settings));
}

async fn run(ledger: Ledger, settings: WebhookSettings) {
    let client = match reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Creditdesk-Webhooks/1")
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "could not start the webhook worker");
            return;
        }
    };
    let mut commits = ledger.commits();
    loop {
        match ledger.claim_deliveries(CLAIM, LEASE).await {
            Ok(due) if !due.is_empty() => {
                let posts = due
                    .iter()
                    .map(|delivery| deliver(&ledger, &client, delivery, settings));
                futures_util::future::join_all(posts).await;
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not claim webhook deliveries"),
        }
        // A commit may have queued an event; otherwise look again soon for retries come due.
        // Under load commits come hundreds of times a second: after one, a short wait lets one look
        // cover the burst. A quiet second needs no such wait.
        if tokio::time::timeout(IDLE_POLL, commits.changed())
            .await
            .is_ok()
        {
            tokio::time::sleep(SETTLE).await;
        }
    }
}

async fn deliver(
    ledger: &Ledger,
    client: &reqwest::Client,
    delivery: &DueDelivery,
    settings: WebhookSettings,
) {
    let outcome = post(client, delivery).await;
    tracing::info!(
        delivery = delivery.id,
        event = delivery.event_id,
        attempt = delivery.attempt,
        code = outcome.response_code,
        error = outcome.error.as_deref(),
        "webhook attempt"
    );
    if let Err(error) = ledger
        .record_attempt(delivery, &outcome, settings.retry_base)
        .await
    {
        // The claim runs out and the delivery is posted again: receivers deduplicate by event id.
        tracing::warn!(%error, delivery = delivery.id, "could not record a webhook attempt");
    }
}

async fn post(client: &reqwest::Client, delivery: &DueDelivery) -> PostOutcome {
    let started = Instant::now();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let signature = sign(delivery.secret.expose(), timestamp, &delivery.body);
    let sent = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("creditdesk-event-id", &delivery.event_id)
        .header("creditdesk-event-type", &delivery.event_type)
        .header(
            "creditdesk-signature",
            format!("t={timestamp},v1={signature}"),
        )
        .body(delivery.body.clone())
        .send()
        .await;
    let (response_code, error) = match sent {
        Ok(response) => {
            let status = response.status();
            let error = (!status.is_success()).then(|| format!("answered {status}"));
            (Some(status.as_u16()), error)
        }
        Err(error) if error.is_timeout() => (None, Some("no answer within the timeout".to_owned())),
        Err(error) if error.is_connect() => (None, Some("could not connect".to_owned())),
        Err(error) => (None, Some(error.to_string())),
    };
    PostOutcome {
        response_code,
        error,
        duration: started.elapsed(),
    }
}

/// Hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed by the secret: what `Creditdesk-Signature`'s
/// `v1` holds.
pub fn sign(secret: &str, timestamp: u64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, "{}"),
            "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
