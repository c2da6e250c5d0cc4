//! Accounts: the nodes of the tree that credits flow down.

use std::fmt;
use std::str::FromStr;

use crate::actor::{Actor, Operator};
use crate::db::is_unique_violation;
use crate::users::{Login, Password, hash_password};
use crate::values::AccountName;
use crate::{Ledger, StoreError};

/// The database id of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Platform,
    DirectReseller,
    Reseller,
    Customer,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::DirectReseller => "direct_reseller",
            Self::Reseller => "reseller",
            Self::Customer => "customer",
        }
    }

    /// Which kinds of sub-account this kind may have: the shape of the tree.
    pub fn may_parent(self, child: AccountKind) -> bool {
        match self {
            Self::Platform => child == Self::DirectReseller,
            Self::DirectReseller | Self::Reseller => {
                matches!(child, Self::Reseller | Self::Customer)
            }
            Self::Customer => false,
        }
    }
}

impl FromStr for AccountKind {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "platform" => Ok(Self::Platform),
            "direct_reseller" => Ok(Self::DirectReseller),
            "reseller" => Ok(Self::Reseller),
            "customer" => Ok(Self::Customer),
            other => Err(StoreError::Corrupt(format!(
                "unknown account kind {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// Cannot sign in, move credits or receive them, and neither can any account below it; its
    /// parent can still revoke its credits.
    Suspended,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
}

impl FromStr for AccountStatus {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            other => Err(StoreError::Corrupt(format!(
                "unknown account status {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub parent_id: Option<AccountId>,
    pub kind: AccountKind,
    pub name: String,
    pub balance: i64,
    pub status: AccountStatus,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    name: String,
    balance: i64,
    status: String,
    created_at: i64,
}

/// The columns that make an [`AccountRow`], for every query that reads one (a macro so that queries
/// stay `&'static str`).
macro_rules! account_columns {
    () => {
        "id, parent_id, kind, name, balance, status, created_at"
    };
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: AccountId(row.id),
            parent_id: row.parent_id.map(AccountId),
            kind: row.kind.parse()?,
            name: row.name,
            balance: row.balance,
            status: row.status.parse()?,
            created_at: row.created_at,
        })
    }
}

/// An account with the login of its (first) user, as its parent sees it in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAccount {
    pub account: Account,
    pub login: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SubAccountRow {
    #[sqlx(flatten)]
    account: AccountRow,
    login: Option<String>,
}

impl TryFrom<SubAccountRow> for SubAccount {
    type Error = StoreError;

    fn try_from(row: SubAccountRow) -> Result<Self, Self::Error> {
        Ok(Self {
            account: row.account.try_into()?,
            login: row.login,
        })
    }
}

macro_rules! select_sub_account {
    () => {
        concat!(
            "SELECT a.id, a.parent_id, a.kind, a.name, a.balance, a.status, a.created_at, ",
            "(SELECT MIN(u.login) FROM users u WHERE u.account_id = a.id) AS login FROM accounts a"
        )
    };
}

/// What a reseller fills in to open a sub-account.
#[derive(Debug, Clone)]
pub struct NewSubAccount {
    pub kind: AccountKind,
    pub name: AccountName,
    pub login: Login,
    pub password: Password,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenAccountError {
    /// The actor's account is a customer, which has no sub-accounts.
    #[error("only resellers have sub-accounts")]
    NotAReseller,
    #[error("a {parent} cannot have a {child} sub-account", parent = .parent.as_str(), child = .child.as_str())]
    KindNotAllowed {
        parent: AccountKind,
        child: AccountKind,
    },
    #[error("the login is taken")]
    LoginTaken,
    /// The actor's account, or an account above it, is suspended.
    #[error("the account is suspended")]
    OwnAccountSuspended,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OpenAccountError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// What can go wrong when a parent manages one of its sub-accounts.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Missing, or not a direct sub-account of the actor (deliberately the same error).
    #[error("no such sub-account")]
    SubAccountNotFound,
    /// The actor's account, or an account above it, is suspended.
    #[error("the account is suspended")]
    OwnAccountSuspended,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ManageError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// What can go wrong when reading.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The account is missing or outside the actor's subtree (deliberately the same error).
    #[error("the account is not visible to the actor")]
    NotVisible,
    /// The actor's account is a customer, which has no sub-accounts.
    #[error("only resellers have sub-accounts")]
    NotAReseller,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReadError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl Ledger {
    /// Opens a reseller or customer account at zero credits under the actor's own account, with one
    /// user who signs in as `login`; both or neither are created.
    ///
    /// Errors: `NotAReseller` (a customer actor); `KindNotAllowed` (anything but a reseller or a
    /// customer); `LoginTaken`; `OwnAccountSuspended`.
    pub async fn open_sub_account(
        &self,
        actor: &Actor,
        account: &NewSubAccount,
    ) -> Result<SubAccount, OpenAccountError> {
        if actor.kind() == AccountKind::Customer {
            return Err(OpenAccountError::NotAReseller);
        }
        self.open_account(actor.account(), account).await
    }

    /// Opens a direct reseller under the platform, with one user.
    ///
    /// Errors: `LoginTaken`.
    pub async fn open_direct_reseller(
        &self,
        _operator: &Operator,
        name: &AccountName,
        login: &Login,
        password: &Password,
    ) -> Result<SubAccount, OpenAccountError> {
        let account = NewSubAccount {
            kind: AccountKind::DirectReseller,
            name: name.clone(),
            login: login.clone(),
            password: password.clone(),
        };
        self.open_account(self.platform_id, &account).await
    }

    /// Opens `account` under `parent` if the tree's shape allows it.
    async fn open_account(
        &self,
        parent: AccountId,
        account: &NewSubAccount,
    ) -> Result<SubAccount, OpenAccountError> {
        let password_hash = hash_password(&account.password).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if suspension_reaches(&mut *tx, parent).await? {
            return Err(OpenAccountError::OwnAccountSuspended);
        }
        let parent = find_account(&mut *tx, parent)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("parent account {parent} is missing")))?;
        if !parent.kind.may_parent(account.kind) {
            return Err(OpenAccountError::KindNotAllowed {
                parent: parent.kind,
                child: account.kind,
            });
        }
        let row: AccountRow = sqlx::query_as(concat!(
            "INSERT INTO accounts (parent_id, kind, name, created_at) VALUES ($1, $2, $3, $4) ",
            "RETURNING ",
            account_columns!()
        ))
        .bind(parent.id.0)
        .bind(account.kind.as_str())
        .bind(account.name.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        // The password is the parent's (or the operator's) choice: the user replaces it first.
        sqlx::query("INSERT INTO users (account_id, login, password_hash, created_at, must_change_password) VALUES ($1, $2, $3, $4, 1)")
            .bind(row.id)
            .bind(account.login.as_str())
            .bind(&password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            // The login's unique index is the only one on users: the database is the arbiter.
            .map_err(|error| match is_unique_violation(&error) {
                true => OpenAccountError::LoginTaken,
                false => error.into(),
            })?;
        tx.commit().await?;
        tracing::info!(parent = %parent.id, account = row.id, kind = account.kind.as_str(), "account opened");
        Ok(SubAccount {
            account: row.try_into()?,
            login: Some(account.login.as_str().to_owned()),
        })
    }

    /// The actor's own account, with its balance.
    pub async fn own_account(&self, actor: &Actor) -> Result<Account, StoreError> {
        find_account(self.db.pool(), actor.account())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("account {} is missing", actor.account())))
    }

    /// Any account, for operators' tools.
    pub async fn account(
        &self,
        _operator: &Operator,
        id: AccountId,
    ) -> Result<Option<Account>, StoreError> {
        find_account(self.db.pool(), id).await
    }

    /// The account a user signs in to, by login, for operators' tools.
    pub async fn account_by_login(
        &self,
        _operator: &Operator,
        login: &Login,
    ) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT a.id, a.parent_id, a.kind, a.name, a.balance, a.status, a.created_at ",
            "FROM accounts a JOIN users u ON u.account_id = a.id WHERE u.login = $1"
        ))
        .bind(login.as_str())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(Account::try_from).transpose()
    }

    /// Acts as the user with `login`: for operators' tools and tests, never reachable from HTTP.
    pub async fn actor_for(
        &self,
        operator: &Operator,
        login: &Login,
    ) -> Result<Option<Actor>, StoreError> {
        let account = self.account_by_login(operator, login).await?;
        Ok(account.map(|account| Actor::new(account.id, account.kind, login.as_str().to_owned())))
    }

    /// The actor's direct sub-accounts, by name.
    ///
    /// Errors: `NotAReseller` (a customer actor).
    pub async fn sub_accounts(&self, actor: &Actor) -> Result<Vec<SubAccount>, ReadError> {
        if actor.kind() == AccountKind::Customer {
            return Err(ReadError::NotAReseller);
        }
        let rows: Vec<SubAccountRow> = sqlx::query_as(concat!(
            select_sub_account!(),
            " WHERE a.parent_id = $1 ORDER BY a.name, a.id"
        ))
        .bind(actor.account().0)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter()
            .map(|row| SubAccount::try_from(row).map_err(ReadError::from))
            .collect()
    }

    /// One of the actor's direct sub-accounts.
    ///
    /// Errors: `NotVisible` (missing, or not the actor's direct sub-account).
    pub async fn sub_account(&self, actor: &Actor, id: AccountId) -> Result<SubAccount, ReadError> {
        let row: Option<SubAccountRow> = sqlx::query_as(concat!(
            select_sub_account!(),
            " WHERE a.id = $1 AND a.parent_id = $2"
        ))
        .bind(id.0)
        .bind(actor.account().0)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.ok_or(ReadError::NotVisible)?.try_into()?)
    }

    /// Renames one of the actor's direct sub-accounts.
    ///
    /// Errors: `OwnAccountSuspended`; `SubAccountNotFound` (missing, or not the actor's direct
    /// sub-account).
    pub async fn rename_sub_account(
        &self,
        actor: &Actor,
        sub_account: AccountId,
        name: &AccountName,
    ) -> Result<SubAccount, ManageError> {
        let mut tx = self.db.begin_write().await?;
        let statement = "UPDATE accounts SET name = $1 WHERE id = $2 AND parent_id = $3";
        update_sub_account(&mut tx, statement, name.as_str(), actor, sub_account).await?;
        let renamed = find_sub_account(&mut tx, sub_account).await?;
        tx.commit().await?;
        Ok(renamed)
    }

    /// Suspends or reactivates one of the actor's direct sub-accounts. Suspension reaches the whole
    /// subtree: the sessions of every user in it end at once (and stay ended after reactivation),
    /// and no one in it signs in or moves or receives credits until the account is reactivated;
    /// the actor can still revoke the suspended account's credits.
    ///
    /// Errors: `OwnAccountSuspended`; `SubAccountNotFound` (missing, or not the actor's direct
    /// sub-account).
    pub async fn set_sub_account_status(
        &self,
        actor: &Actor,
        sub_account: AccountId,
        status: AccountStatus,
    ) -> Result<SubAccount, ManageError> {
        let mut tx = self.db.begin_write().await?;
        let statement = "UPDATE accounts SET status = $1 WHERE id = $2 AND parent_id = $3";
        update_sub_account(&mut tx, statement, status.as_str(), actor, sub_account).await?;
        if status == AccountStatus::Suspended {
            sqlx::query(
                "WITH RECURSIVE subtree (id) AS ( \
                     SELECT id FROM accounts WHERE id = $1 \
                     UNION ALL \
                     SELECT a.id FROM accounts a JOIN subtree ON a.parent_id = subtree.id \
                 ) DELETE FROM sessions WHERE user_id IN \
                     (SELECT u.id FROM users u JOIN subtree ON u.account_id = subtree.id)",
            )
            .bind(sub_account.0)
            .execute(&mut *tx)
            .await?;
        }
        let changed = find_sub_account(&mut tx, sub_account).await?;
        tx.commit().await?;
        tracing::info!(actor = actor.name(), %sub_account, status = status.as_str(), "sub-account status set");
        Ok(changed)
    }

    /// Whether `target` is the actor's own account or anywhere below it: what the actor may read.
    pub(crate) async fn is_visible_to(
        &self,
        actor: &Actor,
        target: AccountId,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "WITH RECURSIVE ancestry (id, parent_id) AS ( \
                 SELECT id, parent_id FROM accounts WHERE id = $1 \
                 UNION ALL \
                 SELECT a.id, a.parent_id FROM accounts a JOIN ancestry ON a.id = ancestry.parent_id \
             ) SELECT id FROM ancestry WHERE id = $2",
        )
        .bind(target.0)
        .bind(actor.account().0)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(found.is_some())
    }

    /// How many accounts exist besides the platform.
    pub(crate) async fn count_accounts(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE kind <> 'platform'")
                .fetch_one(self.db.pool())
                .await?,
        )
    }
}

/// Runs `statement` (`$1` the new value, `$2` the sub-account, `$3` its parent) for an actor whose
/// account is not suspended: the parent check is part of the update, so an account that is not the
/// actor's child is never touched.
async fn update_sub_account(
    conn: &mut sqlx::AnyConnection,
    statement: &'static str,
    value: &str,
    actor: &Actor,
    sub_account: AccountId,
) -> Result<(), ManageError> {
    if suspension_reaches(&mut *conn, actor.account()).await? {
        return Err(ManageError::OwnAccountSuspended);
    }
    let updated = sqlx::query(statement)
        .bind(value)
        .bind(sub_account.0)
        .bind(actor.account().0)
        .execute(conn)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(ManageError::SubAccountNotFound);
    }
    Ok(())
}

async fn find_sub_account(
    conn: &mut sqlx::AnyConnection,
    id: AccountId,
) -> Result<SubAccount, StoreError> {
    let row: SubAccountRow = sqlx::query_as(concat!(select_sub_account!(), " WHERE a.id = $1"))
        .bind(id.0)
        .fetch_one(conn)
        .await?;
    row.try_into()
}

pub(crate) async fn find_account<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(executor)
    .await?;
    row.map(Account::try_from).transpose()
}

/// The common table `line`: the account whose id is the given parameter and every account above
/// it, each with its status. A suspension reaches an account when any of them is suspended.
macro_rules! line_of {
    ($account:literal) => {
        concat!(
            "WITH RECURSIVE line (id, parent_id, status) AS ( \
                 SELECT id, parent_id, status FROM accounts WHERE id = ",
            $account,
            " UNION ALL \
             SELECT a.id, a.parent_id, a.status FROM accounts a JOIN line ON a.id = line.parent_id \
             )"
        )
    };
}
pub(crate) use line_of;

/// Whether `account` or any account above it is suspended: the one test of whether a suspension
/// reaches an account, for sign-in and every session (a transfer reads it with its accounts).
pub(crate) async fn suspension_reaches<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    account: AccountId,
) -> Result<bool, StoreError> {
    let suspended: i64 = sqlx::query_scalar(concat!(
        line_of!("$1"),
        " SELECT COUNT(*) FROM line WHERE status = 'suspended'"
    ))
    .bind(account.0)
    .fetch_one(executor)
    .await?;
    Ok(suspended > 0)
}
