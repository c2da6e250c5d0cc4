//! Manage Customers at any size: one page of a reseller's sub-accounts at a time, searched, filtered
//! and sorted, with the number of matches and the credits they hold.
//!
//! Guarantees:
//! - only the actor's own direct sub-accounts are ever read: `parent_id = actor` is part of every
//!   statement (of each way a search finds its matches), whatever the search, filters or cursor say
//!   (a forged cursor only moves within them);
//! - every page is a keyset read (never OFFSET): page 2,000 costs what page 1 costs;
//! - paging forward and back visits every sub-account that existed when the first page was read
//!   exactly once, even when transfers change balances between pages of a sort by balance (see
//!   [`SubAccountCursor`]);
//! - the totals come from `sub_account_totals` (kept by triggers) when there is no search, and from
//!   the matching rows only when there is one: a search reads its matches and nothing else.
//!
//! Search: a prefix of the name or of a login, A-Z matched regardless of case.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use sqlx::AnyConnection;

use crate::accounts::{AccountId, AccountKind, AccountRow, AccountStatus, ReadError, SubAccount};
use crate::actor::Actor;
use crate::paging::{SearchText, Statement, page_rows};
use crate::{Ledger, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubAccountSort {
    /// By name, A-Z regardless of case.
    Name,
    Balance,
    /// By the date the sub-account was opened.
    Created,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// Which sub-accounts to show and in what order. Rows with the same sort value are ordered by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccountQuery {
    /// A prefix of the name or of a login.
    pub search: Option<SearchText>,
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    pub sort: SubAccountSort,
    pub direction: SortDirection,
    /// The page next to the one the cursor was taken from; the first page when absent, or when the
    /// cursor belongs to another sort or direction.
    pub cursor: Option<SubAccountCursor>,
    /// Rows per page, at most [`crate::MAX_PAGE_ROWS`].
    pub limit: u32,
}

impl SubAccountQuery {
    /// Every sub-account by name, the first page of `limit` rows.
    pub fn by_name(limit: u32) -> Self {
        Self {
            search: None,
            kind: None,
            status: None,
            sort: SubAccountSort::Name,
            direction: SortDirection::Ascending,
            cursor: None,
            limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccountPage {
    pub rows: Vec<SubAccount>,
    /// The page after this one, if there is one.
    pub next: Option<SubAccountCursor>,
    /// The page before this one, if there is one.
    pub previous: Option<SubAccountCursor>,
    /// How many sub-accounts match the search and filters, on every page.
    pub matching: i64,
    /// The credits those sub-accounts hold.
    pub matching_credits: i64,
}

/// Where a page starts: just after (or, for the previous page, just before) one row, in one sort
/// order. Its text form goes into URLs: `Nba12.77.150` (toward, sort, direction, as-of, id, key).
///
/// For a sort by balance the cursor also carries the newest transfer id the first page saw, and
/// later pages order every row by its balance as of that transfer: a row untouched since keeps its
/// place by its balance, and a row that moved is placed by its balance after its last transfer up
/// to then. The sort key of each row is therefore fixed for the whole walk, so none is shown twice
/// or skipped, while each row still shows its balance now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccountCursor {
    toward: Toward,
    sort: SubAccountSort,
    direction: SortDirection,
    as_of: i64,
    id: AccountId,
    key: SortKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Toward {
    Next,
    Previous,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Text(String),
    Number(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a page cursor")]
pub struct CursorError;

impl SubAccountCursor {
    /// Whether this cursor leads to the page before the one it was taken from.
    pub fn is_previous(&self) -> bool {
        self.toward == Toward::Previous
    }

    /// The order of the walk this cursor belongs to.
    pub fn order(&self) -> (SubAccountSort, SortDirection) {
        (self.sort, self.direction)
    }

    fn fits(&self, query: &SubAccountQuery) -> bool {
        self.sort == query.sort && self.direction == query.direction
    }
}

impl fmt::Display for SubAccountCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let toward = match self.toward {
            Toward::Next => 'N',
            Toward::Previous => 'P',
        };
        let sort = match self.sort {
            SubAccountSort::Name => 'n',
            SubAccountSort::Balance => 'b',
            SubAccountSort::Created => 'c',
        };
        let direction = match self.direction {
            SortDirection::Ascending => 'a',
            SortDirection::Descending => 'd',
        };
        write!(f, "{toward}{sort}{direction}{}.{}.", self.as_of, self.id)?;
        match &self.key {
            SortKey::Text(key) => f.write_str(key),
            SortKey::Number(key) => key.fmt(f),
        }
    }
}

impl FromStr for SubAccountCursor {
    type Err = CursorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut head = text.chars();
        let toward = match head.next() {
            Some('N') => Toward::Next,
            Some('P') => Toward::Previous,
            _ => return Err(CursorError),
        };
        let sort = match head.next() {
            Some('n') => SubAccountSort::Name,
            Some('b') => SubAccountSort::Balance,
            Some('c') => SubAccountSort::Created,
            _ => return Err(CursorError),
        };
        let direction = match head.next() {
            Some('a') => SortDirection::Ascending,
            Some('d') => SortDirection::Descending,
            _ => return Err(CursorError),
        };
        let mut parts = head.as_str().splitn(3, '.');
        let mut number = || -> Result<i64, CursorError> {
            parts
                .next()
                .and_then(|part| part.parse().ok())
                .ok_or(CursorError)
        };
        let (as_of, id) = (number()?, AccountId(number()?));
        let key = parts.next().ok_or(CursorError)?;
        let key = match sort {
            SubAccountSort::Name => SortKey::Text(key.to_owned()),
            SubAccountSort::Balance | SubAccountSort::Created => {
                SortKey::Number(key.parse().map_err(|_| CursorError)?)
            }
        };
        Ok(Self {
            toward,
            sort,
            direction,
            as_of,
            id,
            key,
        })
    }
}

/// A row as the grid reads it, with the columns it can be sorted by.
#[derive(sqlx::FromRow)]
struct GridRow {
    #[sqlx(flatten)]
    account: AccountRow,
    login: Option<String>,
    name_key: String,
}

/// A row and the value it sorts by in this walk.
struct Placed {
    row: SubAccount,
    key: SortKey,
}

impl Placed {
    fn id(&self) -> AccountId {
        self.row.account.id
    }

    fn position(&self) -> (&SortKey, AccountId) {
        (&self.key, self.id())
    }
}

const SELECT_ROWS: &str = "SELECT a.id, a.parent_id, a.kind, a.name, a.balance, a.status, \
     a.created_at, a.name_key, \
     (SELECT MIN(u.login) FROM users u WHERE u.account_id = a.id) AS login FROM accounts a";

/// One walk through the grid's rows: which rows, where it starts, which way it goes.
struct Walk<'a> {
    parent: AccountId,
    query: &'a SubAccountQuery,
    cursor: Option<&'a SubAccountCursor>,
    as_of: i64,
    /// Whether rows come in ascending order of the sort key (a descending sort read backwards does).
    ascending: bool,
}

impl Walk<'_> {
    fn column(&self) -> &'static str {
        match self.query.sort {
            SubAccountSort::Name => "a.name_key",
            SubAccountSort::Balance => "a.balance",
            SubAccountSort::Created => "a.created_at",
        }
    }

    /// `WHERE`: the actor's direct sub-accounts that match the search and the filters.
    fn matching(&self, statement: &mut Statement) {
        let parent = statement.int(self.parent.0);
        match &self.query.search {
            Some(search) => {
                let from = statement.text(search.as_str());
                let to = statement.text(search.prefix_end());
                // Only the matches are read, each by its key: the name's range among the parent's
                // sub-accounts, and the login's range with each user's account checked for the
                // parent by its key. Leaving `a` a parent range to test against the matches, or
                // letting PostgreSQL join the login's users from the parent's side, read all of
                // its sub-accounts (100,000 rows to count 500 matches).
                statement.push(&format!(
                    " WHERE a.id IN (SELECT s.id FROM accounts s WHERE s.parent_id = {parent} \
                     AND s.name_key >= {from} AND s.name_key < {to} \
                     UNION SELECT u.account_id FROM users u WHERE u.login >= {from} AND u.login < {to} \
                     AND (SELECT p.parent_id FROM accounts p WHERE p.id = u.account_id) = {parent})"
                ));
            }
            None => {
                statement.push(&format!(" WHERE a.parent_id = {parent}"));
            }
        }
        // Kinds and statuses are the ledger's own words, written into the statement so that the
        // planner can see them (and use the index of suspended sub-accounts).
        if let Some(kind) = self.query.kind {
            statement.push(&format!(" AND a.kind = '{}'", kind.as_str()));
        }
        if let Some(status) = self.query.status {
            statement.push(&format!(" AND a.status = '{}'", status.as_str()));
        }
    }

    /// `AND`: rows past the cursor in this walk's order.
    fn past_cursor(&self, statement: &mut Statement, cursor: &SubAccountCursor) {
        let key = match &cursor.key {
            SortKey::Text(key) => statement.text(key.as_str()),
            SortKey::Number(key) => statement.int(*key),
        };
        let id = statement.int(cursor.id.0);
        let (column, beyond) = (self.column(), if self.ascending { ">" } else { "<" });
        statement.push(&format!(" AND ({column}, a.id) {beyond} ({key}, {id})"));
    }

    /// Orders (key, id) pairs the way this walk goes.
    fn order(&self, a: (&SortKey, AccountId), b: (&SortKey, AccountId)) -> Ordering {
        let ascending = a.cmp(&b);
        if self.ascending {
            ascending
        } else {
            ascending.reverse()
        }
    }

    /// Whether rows may have moved since the first page: balances change, names and dates do not.
    fn sorts_by_balance(&self) -> bool {
        self.query.sort == SubAccountSort::Balance
    }

    /// Up to `limit` rows past the cursor in walking order; for a sort by balance, of the rows
    /// untouched since the first page (the others are [`Walk::changed_statement`]'s).
    fn rows_statement(&self, limit: usize) -> Statement {
        let mut statement = Statement::default();
        statement.push(SELECT_ROWS);
        self.matching(&mut statement);
        if let Some(cursor) = self.cursor {
            if self.sorts_by_balance() {
                let as_of = statement.int(self.as_of);
                statement.push(&format!(
                    " AND (a.last_transfer_id IS NULL OR a.last_transfer_id <= {as_of})"
                ));
            }
            self.past_cursor(&mut statement, cursor);
        }
        let (column, order) = (self.column(), if self.ascending { "ASC" } else { "DESC" });
        let limit = statement.int(i64::try_from(limit).unwrap_or(i64::MAX));
        statement.push(&format!(
            " ORDER BY {column} {order}, a.id {order} LIMIT {limit}"
        ));
        statement
    }

    /// The matching rows whose balance moved after the first page was read.
    fn changed_statement(&self) -> Statement {
        let mut statement = Statement::default();
        statement.push(SELECT_ROWS);
        self.matching(&mut statement);
        let as_of = statement.int(self.as_of);
        statement.push(&format!(" AND a.last_transfer_id > {as_of}"));
        statement
    }

    /// Every statement a page runs, for the query-plan test.
    #[cfg(any(test, feature = "testing"))]
    fn statements(&self, limit: usize) -> Vec<Statement> {
        let mut statements = vec![self.rows_statement(limit)];
        if self.cursor.is_some() && self.sorts_by_balance() {
            statements.push(self.changed_statement());
        }
        statements.push(self.totals_statement());
        statements
    }

    /// Up to `limit` rows past the cursor, in walking order.
    async fn rows(&self, conn: &mut AnyConnection, limit: usize) -> Result<Vec<Placed>, ReadError> {
        let rows: Vec<GridRow> = self
            .rows_statement(limit)
            .query_as()
            .fetch_all(&mut *conn)
            .await?;
        let mut placed = rows
            .into_iter()
            .map(|row| self.place(row))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(cursor) = self.cursor.filter(|_| self.sorts_by_balance()) {
            let changed = self.changed_rows(conn, cursor).await?;
            if !changed.is_empty() {
                placed.extend(changed);
                placed.sort_by(|a, b| self.order(a.position(), b.position()));
                placed.truncate(limit);
            }
        }
        Ok(placed)
    }

    fn place(&self, row: GridRow) -> Result<Placed, StoreError> {
        let account = crate::Account::try_from(row.account)?;
        let key = match self.query.sort {
            SubAccountSort::Name => SortKey::Text(row.name_key),
            SubAccountSort::Balance => SortKey::Number(account.balance),
            SubAccountSort::Created => SortKey::Number(account.created_at),
        };
        Ok(Placed {
            row: SubAccount {
                account,
                login: row.login,
            },
            key,
        })
    }

    /// The rows whose balance moved after the first page was read, placed by their balance as of
    /// then, and kept if that puts them past the cursor. Few: only transfers made during the walk
    /// move them.
    async fn changed_rows(
        &self,
        conn: &mut AnyConnection,
        cursor: &SubAccountCursor,
    ) -> Result<Vec<Placed>, ReadError> {
        let rows: Vec<GridRow> = self
            .changed_statement()
            .query_as()
            .fetch_all(&mut *conn)
            .await?;
        let mut placed = Vec::with_capacity(rows.len());
        for row in rows {
            let mut row = self.place(row)?;
            row.key = SortKey::Number(balance_as_of(conn, row.id(), self.as_of).await?);
            if self.order(row.position(), (&cursor.key, cursor.id)) == Ordering::Greater {
                placed.push(row);
            }
        }
        Ok(placed)
    }

    /// How many rows match, and the credits they hold.
    fn totals_statement(&self) -> Statement {
        let mut statement = Statement::default();
        if self.query.search.is_some() {
            statement.push(
                "SELECT COUNT(*), CAST(COALESCE(SUM(a.balance), 0) AS BIGINT) FROM accounts a",
            );
            self.matching(&mut statement);
        } else {
            // SUM of BIGINT is NUMERIC on PostgreSQL; the casts keep one statement for both.
            statement.push(
                "SELECT CAST(COALESCE(SUM(t.accounts), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(t.credits), 0) AS BIGINT) FROM sub_account_totals t",
            );
            let parent = statement.int(self.parent.0);
            statement.push(&format!(" WHERE t.parent_id = {parent}"));
            if let Some(kind) = self.query.kind {
                statement.push(&format!(" AND t.kind = '{}'", kind.as_str()));
            }
            if let Some(status) = self.query.status {
                statement.push(&format!(" AND t.status = '{}'", status.as_str()));
            }
        }
        statement
    }

    fn toward(&self) -> Toward {
        self.cursor.map_or(Toward::Next, |cursor| cursor.toward)
    }

    fn cursor_at(&self, toward: Toward, row: &Placed) -> SubAccountCursor {
        SubAccountCursor {
            toward,
            sort: self.query.sort,
            direction: self.query.direction,
            as_of: self.as_of,
            id: row.id(),
            key: row.key.clone(),
        }
    }
}

/// An account's balance right after transfer `as_of` (its balance after its last transfer up to
/// then; zero before its first, since accounts open at zero).
async fn balance_as_of(
    conn: &mut AnyConnection,
    account: AccountId,
    as_of: i64,
) -> Result<i64, ReadError> {
    let balance: Option<i64> = sqlx::query_scalar(
        "SELECT balance FROM ( \
             SELECT * FROM (SELECT id, from_balance_after AS balance FROM transfers \
                 WHERE from_account_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1) o \
             UNION ALL \
             SELECT * FROM (SELECT id, to_balance_after AS balance FROM transfers \
                 WHERE to_account_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1) i \
         ) last ORDER BY id DESC LIMIT 1",
    )
    .bind(account.0)
    .bind(as_of)
    .fetch_optional(conn)
    .await?;
    Ok(balance.unwrap_or(0))
}

/// The id of the newest transfer, or 0 before the first.
pub(crate) async fn newest_transfer_id(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM transfers")
        .fetch_one(conn)
        .await
}

/// The walk a query asks for, starting from the state of the ledger `conn` sees.
///
/// Errors: `NotAReseller` (a customer actor).
async fn walk<'a>(
    conn: &mut AnyConnection,
    actor: &Actor,
    query: &'a SubAccountQuery,
) -> Result<Walk<'a>, ReadError> {
    if actor.kind() == AccountKind::Customer {
        return Err(ReadError::NotAReseller);
    }
    let cursor = query.cursor.as_ref().filter(|cursor| cursor.fits(query));
    let toward = cursor.map_or(Toward::Next, |cursor| cursor.toward);
    Ok(Walk {
        parent: actor.account(),
        query,
        cursor,
        as_of: match cursor {
            Some(cursor) => cursor.as_of,
            None => newest_transfer_id(conn).await?,
        },
        ascending: (query.direction == SortDirection::Ascending) == (toward == Toward::Next),
    })
}

impl Ledger {
    /// One page of the actor's direct sub-accounts (see the module's guarantees).
    ///
    /// Errors: `NotAReseller` (a customer actor).
    pub async fn sub_account_page(
        &self,
        actor: &Actor,
        query: &SubAccountQuery,
    ) -> Result<SubAccountPage, ReadError> {
        let limit = page_rows(query.limit);
        let mut tx = self.db.begin_read().await?;
        let walk = walk(&mut tx, actor, query).await?;
        let (cursor, toward) = (walk.cursor, walk.toward());
        let mut rows = walk.rows(&mut tx, limit + 1).await?;
        let (matching, matching_credits) = walk
            .totals_statement()
            .query_as()
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;

        let more = rows.len() > limit;
        rows.truncate(limit);
        if toward == Toward::Previous {
            rows.reverse();
        }
        // Going forward, the rows before are where we came from; going back, the rows after are.
        let (more_before, more_after) = match toward {
            Toward::Next => (cursor.is_some(), more),
            Toward::Previous => (more, cursor.is_some()),
        };
        let (previous, next) = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => (
                more_before.then(|| walk.cursor_at(Toward::Previous, first)),
                more_after.then(|| walk.cursor_at(Toward::Next, last)),
            ),
            // Nothing past the cursor: the way back starts from the cursor itself.
            _ => match cursor {
                Some(cursor) => {
                    let back = match toward {
                        Toward::Next => Toward::Previous,
                        Toward::Previous => Toward::Next,
                    };
                    let back = SubAccountCursor {
                        toward: back,
                        ..cursor.clone()
                    };
                    match toward {
                        Toward::Next => (Some(back), None),
                        Toward::Previous => (None, Some(back)),
                    }
                }
                None => (None, None),
            },
        };
        Ok(SubAccountPage {
            rows: rows.into_iter().map(|placed| placed.row).collect(),
            next,
            previous,
            matching,
            matching_credits,
        })
    }
}

#[cfg(any(test, feature = "testing"))]
impl Ledger {
    /// The database's plan for every statement [`Ledger::sub_account_page`] runs for `query`.
    ///
    /// Errors: `NotAReseller` (a customer actor).
    pub async fn sub_account_page_plans(
        &self,
        actor: &Actor,
        query: &SubAccountQuery,
    ) -> Result<Vec<String>, ReadError> {
        let mut conn = self.db.pool().acquire().await?;
        let walk = walk(&mut conn, actor, query).await?;
        let mut plans = Vec::new();
        for statement in walk.statements(page_rows(query.limit) + 1) {
            plans.push(crate::paging::explain(&mut conn, self.backend(), &statement).await?);
        }
        Ok(plans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_itself() {
        for key in [SortKey::Text("acme. telecom.".into()), SortKey::Number(-5)] {
            let sort = match key {
                SortKey::Text(_) => SubAccountSort::Name,
                SortKey::Number(_) => SubAccountSort::Balance,
            };
            let cursor = SubAccountCursor {
                toward: Toward::Previous,
                sort,
                direction: SortDirection::Descending,
                as_of: 12,
                id: AccountId(77),
                key,
            };
            assert_eq!(cursor.to_string().parse(), Ok(cursor));
        }
    }

    #[test]
    fn anything_else_is_not_a_cursor() {
        for text in [
            "", "Nba", "Xba1.2.3", "Nba1.2", "Nbax.2.3", "Nba1.2.x", "Nca1.2.",
        ] {
            assert_eq!(text.parse::<SubAccountCursor>(), Err(CursorError), "{text}");
        }
    }
}
