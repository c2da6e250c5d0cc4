//! Webhooks: one URL per account, signed deliveries of the events its movements cause, retried
//! from a transactional outbox.
//!
//! Guarantees:
//! - an event is queued for delivery in the transaction of the movement that caused it (the
//!   outbox), so nothing is sent that did not commit and nothing that committed is lost;
//! - a delivery is claimed by one worker at a time, on any server (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL; SQLite has one writer), for a lease: a worker that dies mid-send leaves it to be
//!   claimed again when the lease ends, so a receiver may get an event twice and deduplicates by its
//!   id;
//! - every attempt is recorded; failures are retried with exponential back-off until a day after
//!   the event, then the delivery is marked failed; "Send again" queues it once more.

use std::time::Duration;

use rand::RngCore;
use sqlx::AnyConnection;

use crate::accounts::AccountId;
use crate::actor::Actor;
use crate::alerts::{Replenish, Watched};
use crate::clock::{Clock, millis};
use crate::db::Backend;
use crate::sessions::hex;
use crate::transfers::{Transfer, TransferError};
use crate::{Ledger, StoreError};

/// How long a delivery keeps being retried after its event.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(60 * 60);
/// Longest URL accepted.
const MAX_URL_CHARS: usize = 2000;

/// Where an account's events are posted: `https`, or `http` to this machine (for tests and local
/// receivers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("enter the URL to send events to")]
    Empty,
    #[error("a webhook URL is at most {MAX_URL_CHARS} characters")]
    TooLong,
    #[error("enter a whole URL, e.g. https://example.com/creditdesk")]
    NotAUrl,
    #[error("a webhook URL must use https (http only to localhost)")]
    NotHttps,
}

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<Self, WebhookUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WebhookUrlError::Empty);
        }
        if text.chars().count() > MAX_URL_CHARS {
            return Err(WebhookUrlError::TooLong);
        }
        let url = url::Url::parse(text).map_err(|_| WebhookUrlError::NotAUrl)?;
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            None => return Err(WebhookUrlError::NotAUrl),
        };
        match url.scheme() {
            "https" => Ok(Self(url.into())),
            "http" if loopback => Ok(Self(url.into())),
            _ => Err(WebhookUrlError::NotHttps),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key that signs an account's deliveries: `whsec_` and 64 hex digits. Shown once, when the
/// webhook is saved.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("whsec_{}", hex(&bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// An account's webhook, as its page shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Corrupt(format!(
                "unknown delivery status {other:?}"
            ))),
        }
    }
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

/// One try at posting a delivery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryAttempt {
    pub delivery_id: i64,
    pub event_type: String,
    pub attempted_at: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery claimed by a worker: what to post, where, and the key to sign it with.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub url: String,
    pub secret: WebhookSecret,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempt: i64,
}

/// How a post went.
#[derive(Debug, Clone)]
pub struct PostOutcome {
    /// The receiver's status code, if it answered.
    pub response_code: Option<u16>,
    /// Why it failed without an answer (a timeout, a refused connection), or what the code means.
    pub error: Option<String>,
    pub duration: Duration,
}

impl PostOutcome {
    fn delivered(&self) -> bool {
        self.response_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Url(#[from] WebhookUrlError),
    #[error("no such delivery")]
    DeliveryNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for WebhookError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// An event, with its body fixed when it is queued: every attempt posts the same bytes.
pub(crate) struct Event {
    id: String,
    kind: &'static str,
    data: serde_json::Value,
}

impl Event {
    pub(crate) fn transfer_received(transfer: &Transfer) -> Self {
        Self {
            id: format!("evt_transfer_{}", transfer.id),
            kind: "transfer.received",
            data: serde_json::json!({
                "transfer_id": transfer.id,
                "kind": transfer.kind.as_str(),
                "from_account_id": transfer.from.0,
                "account_id": transfer.to.0,
                "amount": transfer.amount,
                "balance_after": transfer.to_balance_after,
                "note": transfer.note,
            }),
        }
    }

    pub(crate) fn low_balance(
        alert: i64,
        account: &Watched,
        alert_below: i64,
        transfer: &Transfer,
    ) -> Self {
        Self {
            id: format!("evt_alert_{alert}"),
            kind: "low_balance",
            data: serde_json::json!({
                "account_id": account.id().0,
                "account_name": account.name(),
                "balance": account.balance,
                "alert_below": alert_below,
                "transfer_id": transfer.id,
            }),
        }
    }

    pub(crate) fn auto_replenish_failed(
        alert: i64,
        account: &Watched,
        rule: Replenish,
        refusal: &TransferError,
        trigger: &Transfer,
    ) -> Self {
        Self {
            id: format!("evt_alert_{alert}"),
            kind: "auto_replenish.failed",
            data: serde_json::json!({
                "account_id": account.id().0,
                "account_name": account.name(),
                "balance": account.balance,
                "when_below": rule.below,
                "top_up_to": rule.up_to,
                "reason": refusal.to_string(),
                "transfer_id": trigger.id,
            }),
        }
    }

    fn body(&self, now: i64) -> String {
        serde_json::json!({
            "id": self.id,
            "type": self.kind,
            "created_at_ms": now,
            "data": self.data,
        })
        .to_string()
    }
}

/// Queues `event` for the webhooks of `accounts` that have one, in the caller's transaction.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    event: Event,
    accounts: &[AccountId],
    clock: &Clock,
) -> Result<(), sqlx::Error> {
    let now = clock.now();
    let body = event.body(now);
    for account in accounts {
        sqlx::query(
            "INSERT INTO webhook_deliveries \
             (account_id, event_id, event_type, body, next_attempt_at, give_up_at, created_at) \
             SELECT account_id, $1, $2, $3, $4, $5, $4 FROM webhooks WHERE account_id = $6",
        )
        .bind(&event.id)
        .bind(event.kind)
        .bind(&body)
        .bind(now)
        .bind(now + millis(RETRY_FOR))
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The wait before attempt `attempt + 1`: `base` doubled for each failure, at most an hour.
pub fn retry_wait(base: Duration, attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(20);
    base.saturating_mul(1 << doublings).min(LONGEST_WAIT)
}

impl Ledger {
    /// Sets the actor's webhook URL, with a new secret, returned once. Deliveries still pending go
    /// to the new URL, signed with the new secret.
    pub async fn set_webhook(
        &self,
        actor: &Actor,
        url: &WebhookUrl,
    ) -> Result<WebhookSecret, WebhookError> {
        let secret = WebhookSecret::generate();
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM webhooks WHERE account_id = $1")
            .bind(actor.account().0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO webhooks (account_id, url, secret, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(actor.account().0)
        .bind(url.as_str())
        .bind(secret.expose())
        .bind(self.clock.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(actor = actor.name(), url = url.as_str(), "webhook set");
        Ok(secret)
    }

    /// Removes the actor's webhook; its pending deliveries are marked failed.
    pub async fn remove_webhook(&self, actor: &Actor) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM webhooks WHERE account_id = $1")
            .bind(actor.account().0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook removed' \
             WHERE account_id = $1 AND status = 'pending'",
        )
        .bind(actor.account().0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor's webhook, if set.
    pub async fn webhook(&self, actor: &Actor) -> Result<Option<Webhook>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT url, created_at FROM webhooks WHERE account_id = $1")
                .bind(actor.account().0)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(|(url, created_at)| Webhook { url, created_at }))
    }

    /// The actor's deliveries, newest first, at most `limit` (and at most [`crate::MAX_PAGE_ROWS`]).
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, event_id, event_type, status, attempts, last_response_code, last_error, \
             next_attempt_at, created_at FROM webhook_deliveries WHERE account_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(actor.account().0)
        .bind(i64::from(limit.min(crate::MAX_PAGE_ROWS)))
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    /// The actor's delivery attempts, newest first, at most `limit` (and at most
    /// [`crate::MAX_PAGE_ROWS`]).
    pub async fn webhook_attempts(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.delivery_id, d.event_type, t.attempted_at, t.response_code, t.error, \
             t.duration_ms FROM webhook_attempts t JOIN webhook_deliveries d ON d.id = t.delivery_id \
             WHERE d.account_id = $1 ORDER BY t.id DESC LIMIT $2",
        )
        .bind(actor.account().0)
        .bind(i64::from(limit.min(crate::MAX_PAGE_ROWS)))
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Queues one of the actor's deliveries again, now, for another day of retries.
    ///
    /// Errors: `DeliveryNotFound` (missing, or another account's).
    pub async fn send_again(&self, actor: &Actor, delivery: i64) -> Result<(), WebhookError> {
        let now = self.clock.now();
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, give_up_at = $2 \
             WHERE id = $3 AND account_id = $4",
        )
        .bind(now)
        .bind(now + millis(RETRY_FOR))
        .bind(delivery)
        .bind(actor.account().0)
        .execute(self.db.pool())
        .await?;
        if updated.rows_affected() == 0 {
            return Err(WebhookError::DeliveryNotFound);
        }
        Ok(())
    }

    /// Claims up to `max` deliveries that are due, for `lease`: no other worker gets them until it
    /// ends (or the attempt is recorded).
    pub async fn claim_deliveries(
        &self,
        max: u32,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = self.clock.now();
        // Looking costs a read; claiming takes the write lock (all of it, on SQLite), which the
        // movements' writer needs: claim only when something is due.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let skip_locked = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.db.begin_write().await?;
        let claimed: Vec<ClaimedRow> = sqlx::query_as(&format!(
            "UPDATE webhook_deliveries SET next_attempt_at = $1, attempts = attempts + 1 \
             WHERE id IN ( \
                 SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
                 AND account_id IN (SELECT account_id FROM webhooks) \
                 ORDER BY next_attempt_at LIMIT $3{skip_locked}) \
             RETURNING id, account_id, event_id, event_type, body, attempts"
        ))
        .bind(now + millis(lease))
        .bind(now)
        .bind(i64::from(max))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut due = Vec::with_capacity(claimed.len());
        for claimed in claimed {
            // Removed since it was claimed: the removal marked the delivery failed.
            let webhook: Option<(String, String)> =
                sqlx::query_as("SELECT url, secret FROM webhooks WHERE account_id = $1")
                    .bind(claimed.account_id)
                    .fetch_optional(self.db.pool())
                    .await?;
            if let Some((url, secret)) = webhook {
                due.push(DueDelivery {
                    id: claimed.id,
                    url,
                    secret: WebhookSecret(secret),
                    event_id: claimed.event_id,
                    event_type: claimed.event_type,
                    body: claimed.body,
                    attempt: claimed.attempts,
                });
            }
        }
        Ok(due)
    }

    /// Records how attempt `attempt` of a claimed delivery went: delivered (a 2xx answer), retried
    /// after [`retry_wait`] from `retry_base`, or failed for good once a day has passed.
    pub async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        outcome: &PostOutcome,
        retry_base: Duration,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let code = outcome.response_code.map(i64::from);
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery.id)
        .bind(now)
        .bind(code)
        .bind(outcome.error.as_deref())
        .bind(millis(outcome.duration))
        .execute(&mut *tx)
        .await?;
        let next_attempt_at = now + millis(retry_wait(retry_base, delivery.attempt));
        sqlx::query(
            "UPDATE webhook_deliveries SET last_response_code = $1, last_error = $2, \
             status = CASE WHEN $3 THEN 'delivered' WHEN $4 > give_up_at THEN 'failed' ELSE 'pending' END, \
             next_attempt_at = $4 \
             WHERE id = $5 AND attempts = $6",
        )
        .bind(code)
        .bind(outcome.error.as_deref())
        .bind(outcome.delivered())
        .bind(next_attempt_at)
        .bind(delivery.id)
        .bind(delivery.attempt)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    account_id: i64,
    event_id: String,
    event_type: String,
    body: String,
    attempts: i64,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    last_response_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: i64,
    created_at: i64,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        let status = DeliveryStatus::parse(&row.status)?;
        Ok(Self {
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            status,
            attempts: row.attempts,
            last_response_code: row.last_response_code,
            last_error: row.last_error,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(row.next_attempt_at),
            created_at: row.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for url in [
            "https://example.com/hook",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]/",
        ] {
            assert!(WebhookUrl::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn plain_http_elsewhere_and_non_urls_are_refused() {
        assert_eq!(
            WebhookUrl::parse("http://example.com/"),
            Err(WebhookUrlError::NotHttps)
        );
        assert_eq!(
            WebhookUrl::parse("ftp://example.com/"),
            Err(WebhookUrlError::NotHttps)
        );
        assert_eq!(
            WebhookUrl::parse("example.com"),
            Err(WebhookUrlError::NotAUrl)
        );
        assert_eq!(WebhookUrl::parse("  "), Err(WebhookUrlError::Empty));
    }

    #[test]
    fn waits_double_from_the_base_up_to_an_hour() {
        let base = Duration::from_secs(10);
        assert_eq!(retry_wait(base, 1), Duration::from_secs(10));
        assert_eq!(retry_wait(base, 2), Duration::from_secs(20));
        assert_eq!(retry_wait(base, 4), Duration::from_secs(80));
        assert_eq!(retry_wait(base, 30), LONGEST_WAIT);
    }
}
