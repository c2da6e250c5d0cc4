//! What a batch of movements knows and has yet to write. It reads, for the whole batch in two
//! statements rather than for each movement: both accounts of every movement (on PostgreSQL locked,
//! in ascending id order), which actors a suspension reaches, and the first answers their request
//! ids already have. Each movement is then checked in memory against the accounts as the movements
//! before it in the batch left them, and a move that sets nothing off is made in memory too, for
//! [`Known::flush`] to write with the others: all their entries in one statement, then every
//! balance they move, with each account's newest entry, in another.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{
    AccountChange, Allowed, FirstAnswer, Moved, Movement, Parties, Party, RefusedRow, Transfer,
    move_balances, read_refusal, read_transfer, record_entries,
};
use crate::StoreError;
use crate::accounts::AccountId;
use crate::alerts::watched_columns;
use crate::db::{Backend, WriteTx};

pub(crate) struct Known {
    /// Every account of the batch's movements, as the batch has left it so far.
    accounts: HashMap<AccountId, Party>,
    /// The ids `accounts` was read for (padded, see [`padded`]), to read them again.
    account_ids: Vec<i64>,
    /// Actors whose account, or one above it, is suspended.
    suspended_actors: HashSet<AccountId>,
    /// First answers by (acting account, request id): those found, and those given in the batch.
    answers: HashMap<(AccountId, String), FirstAnswer>,
    /// Movements checked and made in memory, with their request ids, that [`Known::flush`] is yet
    /// to write.
    deferred: Vec<(Transfer, String)>,
}

impl Known {
    pub(crate) async fn read(
        tx: &mut WriteTx,
        movements: &[&Movement],
    ) -> Result<Self, StoreError> {
        let mut account_ids: Vec<i64> = movements
            .iter()
            .flat_map(|movement| [movement.from.0, movement.to.0])
            .collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        let mut known = Self {
            accounts: HashMap::with_capacity(account_ids.len()),
            account_ids: padded(account_ids),
            suspended_actors: HashSet::new(),
            answers: HashMap::new(),
            deferred: Vec::new(),
        };
        known.read_accounts(tx).await?;
        known.read_lines_and_answers(tx, movements).await?;
        Ok(known)
    }

    /// The movement's accounts as they stand now, and whether a suspension reaches its actor.
    pub(crate) fn parties(&self, movement: &Movement) -> Parties {
        Parties {
            from: self.accounts.get(&movement.from).cloned(),
            to: self.accounts.get(&movement.to).cloned(),
            actor_suspended: self.suspended_actors.contains(&movement.actor_account),
        }
    }

    pub(super) fn first_answer(&self, movement: &Movement) -> Option<FirstAnswer> {
        let key = (movement.actor_account, movement.key.as_str().to_owned());
        self.answers.get(&key).cloned()
    }

    /// Whether a movement with this one's request id waits in [`Known::flush`].
    pub(super) fn is_deferred(&self, movement: &Movement) -> bool {
        self.deferred.iter().any(|(transfer, key)| {
            transfer.actor_account == movement.actor_account && key == movement.key.as_str()
        })
    }

    /// Makes the move in memory, for the next [`Known::flush`] to write.
    pub(super) fn defer(&mut self, movement: &Movement, allowed: Allowed, now: i64) {
        let amount = movement.credits.get();
        let transfer = Transfer {
            id: 0,
            kind: movement.kind,
            from: movement.from,
            to: movement.to,
            amount,
            note: movement.note.as_str().to_owned(),
            actor_account: movement.actor_account,
            actor: movement.actor_name.clone(),
            from_balance_after: allowed.from.watched.balance - amount,
            to_balance_after: allowed.to.watched.balance + amount,
            created_at: now,
        };
        for (account, balance) in [
            (transfer.from, transfer.from_balance_after),
            (transfer.to, transfer.to_balance_after),
        ] {
            if let Some(party) = self.accounts.get_mut(&account) {
                party.watched.balance = balance;
            }
        }
        self.deferred
            .push((transfer, movement.key.as_str().to_owned()));
    }

    /// Writes every deferred move: all their entries in one statement, in the order they were
    /// made, then all their balances with each account's newest entry in another.
    pub(crate) async fn flush(&mut self, tx: &mut WriteTx) -> Result<(), StoreError> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let ids = record_entries(tx, &self.deferred).await?;
        let mut changes: BTreeMap<i64, AccountChange> = BTreeMap::new();
        for ((transfer, _), &id) in self.deferred.iter().zip(&ids) {
            for (account, credits) in [
                (transfer.from.0, -transfer.amount),
                (transfer.to.0, transfer.amount),
            ] {
                let change = changes.entry(account).or_insert(AccountChange {
                    account,
                    credits: 0,
                    newest_transfer: id,
                });
                change.credits += credits;
                // Ids ascend in the order the moves were made.
                change.newest_transfer = id;
            }
        }
        move_balances(tx, &changes.into_values().collect::<Vec<_>>()).await?;
        for ((mut transfer, key), id) in std::mem::take(&mut self.deferred).into_iter().zip(ids) {
            transfer.id = id;
            self.answers
                .insert((transfer.actor_account, key), FirstAnswer::Moved(transfer));
        }
        Ok(())
    }

    /// Makes and writes the move now (with every move deferred before it), for what it sets off.
    pub(crate) async fn move_now(
        &mut self,
        tx: &mut WriteTx,
        movement: &Movement,
        allowed: Allowed,
        now: i64,
    ) -> Result<Moved, StoreError> {
        let mut sender = allowed.from.watched.clone();
        sender.balance -= movement.credits.get();
        let receiver_has_webhook = allowed.to.webhooks > 0;
        self.defer(movement, allowed, now);
        self.flush(tx).await?;
        Ok(Moved {
            transfer: self.recorded(movement)?,
            sender,
            receiver_has_webhook,
        })
    }

    /// The transfer a flushed move recorded.
    pub(super) fn recorded(&self, movement: &Movement) -> Result<Transfer, StoreError> {
        match self.first_answer(movement) {
            Some(FirstAnswer::Moved(transfer)) => Ok(transfer),
            _ => Err(StoreError::Corrupt(format!("{movement} was not recorded"))),
        }
    }

    /// Learns a refusal just kept, for a later movement of the batch with the same request id.
    pub(super) fn learn_refusal(&mut self, movement: &Movement, refused: RefusedRow) {
        let key = (movement.actor_account, movement.key.as_str().to_owned());
        self.answers.insert(key, FirstAnswer::Refused(refused));
    }

    /// Reads the batch's accounts (again, after a replenish moved some of them).
    pub(super) async fn read_accounts(&mut self, tx: &mut WriteTx) -> Result<(), StoreError> {
        let lock = match tx.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        let statement = format!(
            "SELECT kind, status, {}, \
             (SELECT COUNT(*) FROM webhooks w WHERE w.account_id = accounts.id) AS webhooks \
             FROM accounts WHERE id IN ({}) ORDER BY id{lock}",
            watched_columns!(),
            tx.backend().parameters(1, self.account_ids.len()),
        );
        let mut query = sqlx::query_as::<_, Party>(&statement);
        for id in &self.account_ids {
            query = query.bind(*id);
        }
        let parties = query.fetch_all(&mut **tx).await?;
        self.accounts = parties
            .into_iter()
            .map(|party| (party.watched.id(), party))
            .collect();
        Ok(())
    }

    /// Which actors a suspension reaches (each actor's line, up the tree), and which request ids
    /// have an answer: two questions, one statement, since both are plain reads and every
    /// statement is a round trip to the database.
    async fn read_lines_and_answers(
        &mut self,
        tx: &mut WriteTx,
        movements: &[&Movement],
    ) -> Result<(), StoreError> {
        let mut actors: Vec<i64> = movements.iter().map(|m| m.actor_account.0).collect();
        actors.sort_unstable();
        actors.dedup();
        let actors = padded(actors);
        let requests = padded(
            movements
                .iter()
                .map(|m| (m.actor_account.0, m.key.as_str()))
                .collect(),
        );
        // The request ids are asked of two tables: their parameters appear (and are bound) twice.
        let backend = tx.backend();
        let requested = |first: usize| {
            (0..requests.len())
                .map(|n| {
                    let at = first + 2 * n;
                    format!(
                        "(actor_account_id = {} AND idempotency_key = {})",
                        backend.parameter(at),
                        backend.parameter(at + 1)
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let in_transfers = requested(actors.len() + 1);
        let in_refusals = requested(actors.len() + 2 * requests.len() + 1);
        let statement = format!(
            "WITH RECURSIVE line (actor, id, parent_id, status) AS ( \
                 SELECT id, id, parent_id, status FROM accounts WHERE id IN ({}) \
                 UNION ALL \
                 SELECT line.actor, a.id, a.parent_id, a.status FROM accounts a \
                 JOIN line ON a.id = line.parent_id) \
             SELECT 'suspended' AS found, actor, NULL AS idempotency_key, NULL AS id \
             FROM line WHERE status = 'suspended' \
             UNION ALL SELECT 'transfer', actor_account_id, idempotency_key, id \
             FROM transfers WHERE {in_transfers} \
             UNION ALL SELECT 'refusal', actor_account_id, idempotency_key, NULL \
             FROM refused_requests WHERE {in_refusals}",
            backend.parameters(1, actors.len()),
        );
        let mut query = sqlx::query_as::<_, (String, i64, Option<String>, Option<i64>)>(&statement);
        for actor in &actors {
            query = query.bind(*actor);
        }
        for _ in ["transfers", "refused_requests"] {
            for (actor, key) in &requests {
                query = query.bind(*actor).bind(*key);
            }
        }
        let found = query.fetch_all(&mut **tx).await?;
        // Answers found are rare (a retry): each is then read in full.
        for (what, actor, key, id) in found {
            let actor = AccountId(actor);
            let answer = match (what.as_str(), key, id) {
                ("suspended", None, None) => {
                    self.suspended_actors.insert(actor);
                    continue;
                }
                ("transfer", Some(key), Some(id)) => {
                    (key, FirstAnswer::Moved(read_transfer(tx, id).await?))
                }
                ("refusal", Some(key), None) => {
                    let refused = read_refusal(tx, actor, &key).await?;
                    (key, FirstAnswer::Refused(refused))
                }
                (what, ..) => {
                    return Err(StoreError::Corrupt(format!(
                        "a batch's reads found an incomplete {what:?}"
                    )));
                }
            };
            self.answers.insert((actor, answer.0), answer.1);
        }
        Ok(())
    }
}

/// `items` repeated to the next power of two: statements then come in a handful of
/// shapes, each prepared once per connection, instead of one shape per batch size.
fn padded<T: Clone>(mut items: Vec<T>) -> Vec<T> {
    if let Some(first) = items.first().cloned() {
        items.resize(items.len().next_power_of_two(), first);
    }
    items
}
