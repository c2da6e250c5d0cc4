//! An account's transfers at any size: newest first, a page at a time, filtered by time, kind,
//! counterparty and note; the same view exported whole, a chunk at a time; and the balance over time.
//!
//! Guarantees:
//! - the actor reads its own account and every account below it, nothing else (`NotVisible`, the
//!   same answer for another tree's account and for a missing one); every filter only narrows that
//!   account's own transfers, so no value of any parameter reaches another account's;
//! - pages are keyset reads on (time, id) through the per-account and type indexes, one range per
//!   type on each side, merged (or through the per-pair index, for one counterparty): the cost of
//!   a page does not grow with the number of transfers, and a time range is an index range. There
//!   is no per-account time index: it would be two more index entries for every movement to write;
//! - the note filter is checked on the account's transfers within the range, newest first, until a
//!   page is full: narrowing the dates keeps a rare match fast;
//! - an export walks the same view from its newest transfer down in chunks of
//!   [`EXPORT_CHUNK_ROWS`], so memory stays constant and transfers made meanwhile (newer than where
//!   it started) do not enter it.
//!
//! Note search: the text anywhere in the note, A-Z matched regardless of case.

use std::fmt;
use std::str::FromStr;

use sqlx::AnyConnection;

use crate::accounts::{Account, AccountId, ReadError, find_account};
use crate::actor::Actor;
use crate::db::Backend;
use crate::paging::{SearchText, Statement, page_rows};
use crate::sub_account_pages::CursorError;
use crate::transfers::{AccountTransfer, TransferKind};
use crate::{Ledger, StoreError};

/// Rows an export reads per statement.
pub const EXPORT_CHUNK_ROWS: usize = 1_000;

/// Which of an account's transfers to show, newest first (by time, then id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferQuery {
    /// The actor's own account when absent.
    pub account: Option<AccountId>,
    /// Milliseconds since the Unix epoch: transfers at or after.
    pub since: Option<i64>,
    /// Milliseconds since the Unix epoch: transfers before.
    pub until: Option<i64>,
    pub kind: Option<TransferKind>,
    /// Only transfers to or from this account.
    pub counterparty: Option<AccountId>,
    /// Text anywhere in the note.
    pub note: Option<SearchText>,
    /// The page next to the one the cursor was taken from; the newest page when absent.
    pub cursor: Option<TransferCursor>,
    /// Rows per page, at most [`crate::MAX_PAGE_ROWS`].
    pub limit: u32,
}

impl TransferQuery {
    /// Every transfer of `account` (the actor's own when `None`), the newest `limit`.
    pub fn of(account: Option<AccountId>, limit: u32) -> Self {
        Self {
            account,
            since: None,
            until: None,
            kind: None,
            counterparty: None,
            note: None,
            cursor: None,
            limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferPage {
    /// The account whose transfers these are, with its balance now.
    pub account: Account,
    pub rows: Vec<AccountTransfer>,
    /// Older transfers, if there are any.
    pub next: Option<TransferCursor>,
    /// Newer transfers, if there are any.
    pub previous: Option<TransferCursor>,
}

/// Where a page of transfers starts: just before (older) or just after (newer) one transfer. Its
/// text form goes into URLs: `O1795635600000.42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferCursor {
    older: bool,
    created_at: i64,
    id: i64,
}

impl TransferCursor {
    /// Whether this cursor leads to newer transfers (the page before, newest first).
    pub fn is_previous(&self) -> bool {
        !self.older
    }

    fn at(transfer: &AccountTransfer, older: bool) -> Self {
        Self {
            older,
            created_at: transfer.created_at,
            id: transfer.id,
        }
    }
}

impl fmt::Display for TransferCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let toward = if self.older { 'O' } else { 'N' };
        write!(f, "{toward}{}.{}", self.created_at, self.id)
    }
}

impl FromStr for TransferCursor {
    type Err = CursorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (older, rest) = match text.split_at_checked(1) {
            Some(("O", rest)) => (true, rest),
            Some(("N", rest)) => (false, rest),
            _ => return Err(CursorError),
        };
        let (created_at, id) = rest.split_once('.').ok_or(CursorError)?;
        Ok(Self {
            older,
            created_at: created_at.parse().map_err(|_| CursorError)?,
            id: id.parse().map_err(|_| CursorError)?,
        })
    }
}

/// One account's balance at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancePoint {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub balance: i64,
}

/// One read of one account's transfers: which, from where, which way.
struct History<'a> {
    account: AccountId,
    query: &'a TransferQuery,
    cursor: Option<TransferCursor>,
    backend: Backend,
}

impl History<'_> {
    fn newest_first(&self) -> bool {
        self.cursor.is_none_or(|cursor| cursor.older)
    }

    /// Up to `limit` transfers past the cursor, in walking order: the newest of the account's
    /// outgoing and of its incoming transfers, each read from its own index, merged.
    fn statement(&self, limit: usize) -> Statement {
        let mut statement = Statement::default();
        let account = statement.int(self.account.0);
        let counterparty = self.query.counterparty.map(|id| statement.int(id.0));
        let mut common = String::new();
        if let Some(since) = self.query.since {
            common += &format!(" AND t.created_at >= {}", statement.int(since));
        }
        if let Some(until) = self.query.until {
            common += &format!(" AND t.created_at < {}", statement.int(until));
        }
        if let Some(note) = &self.query.note {
            let text = statement.text(note.as_str().to_owned());
            common += &format!(" AND {}", self.backend.contains("t.note", &text));
        }
        let order = if self.newest_first() { "DESC" } else { "ASC" };
        if let Some(cursor) = self.cursor {
            let (at, id) = (statement.int(cursor.created_at), statement.int(cursor.id));
            let beyond = if cursor.older { "<" } else { ">" };
            common += &format!(" AND (t.created_at, t.id) {beyond} ({at}, {id})");
        }
        let limit = statement.int(i64::try_from(limit).unwrap_or(i64::MAX));
        let ordered = format!("ORDER BY created_at {order}, id {order} LIMIT {limit}");
        // One counterparty's transfers are one range of the per-pair index, in time order whatever
        // their types; otherwise each type is a range of the per-type index of its own.
        let types: Vec<Option<TransferKind>> = match (self.query.kind, &counterparty) {
            (Some(kind), _) => vec![Some(kind)],
            (None, Some(_)) => vec![None],
            (None, None) => TransferKind::ALL.map(Some).to_vec(),
        };
        // Each side reads the columns as this account sees them (the other side, the signed change,
        // its own balance after), so that one name per row is looked up.
        let side = |name: &str, own: &str, other: &str, change: &str, balance_after: &str| {
            let with = counterparty
                .as_ref()
                .map(|counterparty| format!(" AND t.{other} = {counterparty}"))
                .unwrap_or_default();
            let range = |(at, kind): (usize, &Option<TransferKind>)| {
                let kind = kind
                    .map(|kind| format!(" AND t.kind = '{}'", kind.as_str()))
                    .unwrap_or_default();
                let select = format!(
                    "SELECT t.id, t.kind, t.{other} AS counterparty_id, {change} AS change, \
                     t.{balance_after} AS balance_after, t.note, t.actor, t.created_at \
                     FROM transfers t WHERE t.{own} = {account}{kind}{with}{common}"
                );
                match self.backend {
                    // SQLite merges plain ranges as it reads them, each in its index's order: a
                    // page of `limit` rows reads `limit` rows, not `limit` from each range.
                    Backend::Sqlite => select,
                    // PostgreSQL sorts plain ranges whole when the account's transfers are few
                    // next to the table; its own limit makes each range a short walk down its index.
                    Backend::Postgres => format!("SELECT * FROM ({select} {ordered}) {name}{at}"),
                }
            };
            types.iter().enumerate().map(range).collect::<Vec<_>>()
        };
        let mut ranges = side(
            "o",
            "from_account_id",
            "to_account_id",
            "-t.amount",
            "from_balance_after",
        );
        ranges.extend(side(
            "i",
            "to_account_id",
            "from_account_id",
            "t.amount",
            "to_balance_after",
        ));
        // The names are looked up for the rows kept only.
        statement.push(&format!(
            "SELECT y.*, (SELECT c.name FROM accounts c WHERE c.id = y.counterparty_id) AS counterparty \
             FROM ({} {ordered}) y",
            ranges.join(" UNION ALL "),
        ));
        statement
    }

    /// Up to `limit` transfers past the cursor, newest first whichever way the walk went, and
    /// whether there were more.
    async fn rows(
        &self,
        conn: &mut AnyConnection,
        limit: usize,
    ) -> Result<(Vec<AccountTransfer>, bool), ReadError> {
        let rows: Vec<HistoryRow> = self.statement(limit + 1).query_as().fetch_all(conn).await?;
        let more = rows.len() > limit;
        let mut rows = rows
            .into_iter()
            .take(limit)
            .map(AccountTransfer::try_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        // The statement orders the rows it picks, not the rows around the names looked up for them;
        // they come in that order, which makes this sort a single pass.
        rows.sort_unstable_by_key(|row| std::cmp::Reverse((row.created_at, row.id)));
        Ok((rows, more))
    }
}

/// A transfer as one account's history reads it: already seen from that account's side.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: i64,
    kind: String,
    counterparty_id: i64,
    counterparty: String,
    change: i64,
    balance_after: i64,
    note: String,
    actor: String,
    created_at: i64,
}

impl TryFrom<HistoryRow> for AccountTransfer {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            kind: row.kind.parse()?,
            counterparty: row.counterparty,
            counterparty_id: AccountId(row.counterparty_id),
            change: row.change,
            balance_after: row.balance_after,
            note: row.note,
            actor: row.actor,
            created_at: row.created_at,
        })
    }
}

/// The whole filtered view of one account's transfers, newest first, read a chunk at a time.
pub struct TransferExport {
    ledger: Ledger,
    account: AccountId,
    query: TransferQuery,
    finished: bool,
}

impl TransferExport {
    /// The next transfers, newest first; `None` once every one has been read.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<AccountTransfer>>, ReadError> {
        if self.finished {
            return Ok(None);
        }
        let history = History {
            account: self.account,
            query: &self.query,
            cursor: self.query.cursor,
            backend: self.ledger.backend(),
        };
        let mut conn = self.ledger.db.pool().acquire().await?;
        let (rows, more) = history.rows(&mut conn, EXPORT_CHUNK_ROWS).await?;
        self.finished = !more;
        self.query.cursor = rows.last().map(|last| TransferCursor::at(last, true));
        Ok(Some(rows))
    }
}

impl Ledger {
    /// The account the query reads: the actor's own when absent, else one the actor may read.
    async fn readable(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
    ) -> Result<AccountId, ReadError> {
        let account = account.unwrap_or(actor.account());
        if self.is_visible_to(actor, account).await? {
            Ok(account)
        } else {
            Err(ReadError::NotVisible)
        }
    }

    /// Where the transfers older than transfer `id` start (nowhere, when there is no such transfer).
    pub(crate) async fn older_than(&self, id: i64) -> Result<TransferCursor, StoreError> {
        let created_at: Option<i64> =
            sqlx::query_scalar("SELECT created_at FROM transfers WHERE id = $1")
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(match created_at {
            Some(created_at) => TransferCursor {
                older: true,
                created_at,
                id,
            },
            None => TransferCursor {
                older: true,
                created_at: i64::MIN,
                id: i64::MIN,
            },
        })
    }

    /// One page of an account's transfers (see the module's guarantees).
    ///
    /// Errors: `NotVisible` (missing, or outside the actor's subtree).
    pub async fn transfer_page(
        &self,
        actor: &Actor,
        query: &TransferQuery,
    ) -> Result<TransferPage, ReadError> {
        let account = self.readable(actor, query.account).await?;
        let history = History {
            account,
            query,
            cursor: query.cursor,
            backend: self.backend(),
        };
        let mut tx = self.db.begin_read().await?;
        let (rows, more) = history.rows(&mut tx, page_rows(query.limit)).await?;
        let shown = find_account(&mut *tx, account)
            .await?
            .ok_or(ReadError::NotVisible)?;
        tx.commit().await?;
        let toward_older = history.newest_first();
        let (more_newer, more_older) = match query.cursor {
            None => (false, more),
            Some(_) if toward_older => (true, more),
            Some(_) => (more, true),
        };
        let (previous, next) = match (rows.first(), rows.last(), query.cursor) {
            (Some(newest), Some(oldest), _) => (
                more_newer.then(|| TransferCursor::at(newest, false)),
                more_older.then(|| TransferCursor::at(oldest, true)),
            ),
            // Nothing past the cursor: the way back starts from the cursor itself.
            (_, _, Some(cursor)) => {
                let back = TransferCursor {
                    older: !cursor.older,
                    ..cursor
                };
                if cursor.older {
                    (Some(back), None)
                } else {
                    (None, Some(back))
                }
            }
            _ => (None, None),
        };
        Ok(TransferPage {
            account: shown,
            rows,
            next,
            previous,
        })
    }

    /// Every transfer the query's filters select (its cursor and limit aside), for a download.
    ///
    /// Errors: `NotVisible` (missing, or outside the actor's subtree).
    pub async fn transfer_export(
        &self,
        actor: &Actor,
        query: &TransferQuery,
    ) -> Result<TransferExport, ReadError> {
        let account = self.readable(actor, query.account).await?;
        Ok(TransferExport {
            ledger: self.clone(),
            account,
            query: TransferQuery {
                account: Some(account),
                cursor: None,
                ..query.clone()
            },
            finished: false,
        })
    }

    /// An account's balance at `points + 1` evenly spaced moments from `since` (or its first
    /// transfer) to `until` (or now): what a chart of its balance over time needs, in as many
    /// index lookups whatever the number of transfers.
    ///
    /// Errors: `NotVisible` (missing, or outside the actor's subtree).
    pub async fn balance_history(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        since: Option<i64>,
        until: Option<i64>,
        points: u32,
    ) -> Result<Vec<BalancePoint>, ReadError> {
        let account = self.readable(actor, account).await?;
        let mut tx = self.db.begin_read().await?;
        let now = self.clock.now();
        let end = until.map_or(now, |until| until.min(now));
        let start = match since {
            Some(since) => since,
            None => first_transfer_at(&mut tx, account).await?.unwrap_or(end),
        }
        .min(end);
        let points = i64::from(points.max(1));
        let mut history = Vec::new();
        for step in 0..=points {
            let at = start + (end - start) * step / points;
            let balance = balance_at(&mut tx, account, at).await?;
            history.push(BalancePoint { at, balance });
        }
        tx.commit().await?;
        history.dedup_by_key(|point| point.at);
        Ok(history)
    }
}

#[cfg(any(test, feature = "testing"))]
impl Ledger {
    /// The database's plan for the statement [`Ledger::transfer_page`] runs for `query`.
    ///
    /// Errors: `NotVisible` (missing, or outside the actor's subtree).
    pub async fn transfer_page_plan(
        &self,
        actor: &Actor,
        query: &TransferQuery,
    ) -> Result<String, ReadError> {
        let history = History {
            account: self.readable(actor, query.account).await?,
            query,
            cursor: query.cursor,
            backend: self.backend(),
        };
        let mut conn = self.db.pool().acquire().await?;
        let statement = history.statement(page_rows(query.limit) + 1);
        Ok(crate::paging::explain(&mut conn, self.backend(), &statement).await?)
    }
}

/// When the account's first transfer was made, if it has any.
async fn first_transfer_at(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Option<i64>, sqlx::Error> {
    let first = each_range(|own, _, kind| {
        format!(
            "SELECT created_at AS at FROM transfers WHERE {own} = $1 AND kind = '{kind}' \
             ORDER BY created_at LIMIT 1"
        )
    });
    sqlx::query_scalar(&format!("SELECT MIN(at) FROM ({first}) first"))
        .bind(account.0)
        .fetch_one(conn)
        .await
}

/// The account's balance after its last transfer at or before `at` (zero before its first).
async fn balance_at(
    conn: &mut AnyConnection,
    account: AccountId,
    at: i64,
) -> Result<i64, sqlx::Error> {
    let last = each_range(|own, balance_after, kind| {
        format!(
            "SELECT created_at, id, {balance_after} AS balance FROM transfers \
             WHERE {own} = $1 AND kind = '{kind}' AND created_at <= $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        )
    });
    let balance: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT balance FROM ({last}) last ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(account.0)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(balance.unwrap_or(0))
}

/// `range(own column, own balance after, type)` for each side of an account and each type, as one
/// `UNION ALL`: an account's transfers are found in time order one type at a time, through the
/// per-account and type indexes, so each range is a short walk.
fn each_range(range: impl Fn(&str, &str, &str) -> String) -> String {
    let sides = [
        ("from_account_id", "from_balance_after"),
        ("to_account_id", "to_balance_after"),
    ];
    let ranges: Vec<String> = sides
        .into_iter()
        .flat_map(|(own, balance_after)| {
            TransferKind::ALL.map(|kind| range(own, balance_after, kind.as_str()))
        })
        .enumerate()
        .map(|(at, range)| format!("SELECT * FROM ({range}) r{at}"))
        .collect();
    ranges.join(" UNION ALL ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_cursor_reads_back_as_itself() {
        for cursor in [
            TransferCursor {
                older: true,
                created_at: 1_795_635_600_000,
                id: 42,
            },
            TransferCursor {
                older: false,
                created_at: -1,
                id: 1,
            },
        ] {
            assert_eq!(cursor.to_string().parse(), Ok(cursor));
        }
        for text in ["", "O", "O1", "X1.2", "O1.x", "O.2"] {
            assert_eq!(text.parse::<TransferCursor>(), Err(CursorError), "{text}");
        }
    }
}
