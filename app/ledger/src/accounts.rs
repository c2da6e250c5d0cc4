//! Accounts: the nodes of the tree that credits flow down.

use std::fmt;
use std::str::FromStr;

use crate::db::now_millis;
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
    /// Cannot sign in or receive grants; its credits can still be revoked.
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

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("parent account not found")]
    ParentNotFound,
    #[error("a {parent} cannot have a {child} sub-account", parent = .parent.as_str(), child = .child.as_str())]
    KindNotAllowed {
        parent: AccountKind,
        child: AccountKind,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CreateAccountError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl Ledger {
    /// Opens a new account at zero credits under `parent`.
    ///
    /// Errors: `ParentNotFound`; `KindNotAllowed` when the tree's shape forbids it (only the platform
    /// has direct resellers; customers have no sub-accounts).
    pub async fn create_account(
        &self,
        parent: AccountId,
        kind: AccountKind,
        name: &AccountName,
    ) -> Result<Account, CreateAccountError> {
        let mut tx = self.db.begin_write().await?;
        let parent = find_account(&mut *tx, parent)
            .await?
            .ok_or(CreateAccountError::ParentNotFound)?;
        if !parent.kind.may_parent(kind) {
            return Err(CreateAccountError::KindNotAllowed {
                parent: parent.kind,
                child: kind,
            });
        }
        let row: AccountRow = sqlx::query_as(concat!(
            "INSERT INTO accounts (parent_id, kind, name, created_at) VALUES ($1, $2, $3, $4) ",
            "RETURNING ",
            account_columns!()
        ))
        .bind(parent.id.0)
        .bind(kind.as_str())
        .bind(name.as_str())
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_into()?)
    }

    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        find_account(self.db.pool(), id).await
    }

    /// The direct sub-accounts of `of`, by name.
    pub async fn sub_accounts(&self, of: AccountId) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE parent_id = $1 ORDER BY name, id"
        ))
        .bind(of.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    /// The first direct reseller opened, if any.
    pub async fn first_direct_reseller(&self) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE kind = 'direct_reseller' ORDER BY id LIMIT 1"
        ))
        .fetch_optional(self.db.pool())
        .await?;
        row.map(Account::try_from).transpose()
    }

    /// How many accounts exist besides the platform.
    pub async fn count_accounts(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE kind <> 'platform'")
                .fetch_one(self.db.pool())
                .await?,
        )
    }
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
