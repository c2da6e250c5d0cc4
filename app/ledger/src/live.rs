//! Live balances: which balances a reader sees changed since it last looked, and a signal that
//! wakes readers when movements commit, on this server or (PostgreSQL) on any other.
//!
//! The signal carries no data: readers re-read the accounts table, whose `last_transfer_id` says
//! which balances moved after a given transfer. So a missed or merged signal costs nothing but a
//! wait for the next one, and what a reader is told always committed.

use std::sync::{Arc, Once};
use std::time::Duration;

use tokio::sync::watch;

use crate::accounts::AccountId;
use crate::actor::Actor;
use crate::{Ledger, StoreError};

/// The PostgreSQL channel every server's writer notifies in each transaction that moves credits;
/// the notification is delivered only if, and once, that transaction commits.
pub(crate) const CHANNEL: &str = "creditdesk_commits";

/// How many times credit movements have committed, as far as this process knows: a counter that
/// wakes whoever watches it.
#[derive(Debug, Clone)]
pub(crate) struct Commits {
    count: Arc<watch::Sender<u64>>,
    /// On PostgreSQL, where other servers' commits are heard, from the first watcher on.
    postgres_url: Option<Arc<str>>,
    listening: Arc<Once>,
}

impl Commits {
    pub(crate) fn new(postgres_url: Option<String>) -> Self {
        Self {
            count: Arc::new(watch::Sender::new(0)),
            postgres_url: postgres_url.map(Arc::from),
            listening: Arc::new(Once::new()),
        }
    }

    pub(crate) fn bump(&self) {
        self.count
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver woken by every commit. The first one, on PostgreSQL, starts listening to the
    /// other servers (a connection of its own, held for the life of the process).
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        if let Some(url) = &self.postgres_url {
            self.listening
                .call_once(|| self.listen_to_postgres(url.to_string()));
        }
        self.count.subscribe()
    }

    /// Bumps on every notification, reconnecting after a failure (and bumping then too, since
    /// notifications sent meanwhile are lost).
    fn listen_to_postgres(&self, url: String) {
        let commits = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = commits.relay(&url).await {
                    tracing::warn!(%error, "lost the commit notifications; reconnecting");
                }
                commits.bump();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    async fn relay(&self, url: &str) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        // Whatever committed while connecting.
        self.bump();
        loop {
            listener.recv().await?;
            self.bump();
        }
    }
}

/// A balance that moved, as of the transfer that last moved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceChange {
    pub account: AccountId,
    pub balance: i64,
    /// The newest transfer that moved this balance.
    pub transfer_id: i64,
}

/// The most balances one read returns; a reader far behind reads again from the last one.
pub const MAX_CHANGES: usize = 500;

impl Ledger {
    /// Wakes whenever credit movements commit: on this server's writer, or, on PostgreSQL, on any
    /// server's.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.watch()
    }

    /// The balances the actor sees live (its own account and its direct sub-accounts) that moved
    /// after transfer `after`, oldest change first, at most 500.
    pub async fn balance_changes(
        &self,
        actor: &Actor,
        after: i64,
    ) -> Result<Vec<BalanceChange>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, balance, last_transfer_id FROM ( \
                 SELECT id, balance, last_transfer_id FROM accounts \
                 WHERE id = $1 AND last_transfer_id > $2 \
                 UNION ALL \
                 SELECT id, balance, last_transfer_id FROM accounts \
                 WHERE parent_id = $1 AND last_transfer_id > $2 \
             ) changed ORDER BY last_transfer_id LIMIT $3",
        )
        .bind(actor.account().0)
        .bind(after)
        .bind(MAX_CHANGES as i64)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(account, balance, transfer_id)| BalanceChange {
                account: AccountId(account),
                balance,
                transfer_id,
            })
            .collect())
    }

    /// The newest transfer older than `age`: where a reader that starts now begins, so that it
    /// also hears of what committed while its page was on its way.
    pub async fn transfer_id_before(&self, age: Duration) -> Result<i64, StoreError> {
        let newest: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM transfers WHERE created_at < $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(self.clock.now() - crate::clock::millis(age))
        .fetch_optional(self.db.pool())
        .await?;
        Ok(newest.unwrap_or(0))
    }
}
