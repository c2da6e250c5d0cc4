//! API keys: software acting for one account with a subset of what its users may do.
//!
//! - A key is `cdk_` and 64 hex digits (256 random bits); the prefix lets secret scanners find
//!   leaked keys. The database keeps a SHA-256 of it only, and the secret is shown once, at creation.
//! - A key acts for its account exactly as a signed-in user of that account (the same operations
//!   decide), named in the ledger as "API key: <name>"; its scopes say which operations the API
//!   lets it call.
//! - Operator keys belong to the platform and carry the `usage` scope only: they charge accounts
//!   for what they sent and do nothing else. Account keys never carry `usage`.
//! - A revoked key, or the key of an account that is suspended or below a suspended one, is refused
//!   at once.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::{AccountId, AccountKind, line_of};
use crate::actor::{Actor, Operator};
use crate::db::is_unique_violation;
use crate::sessions::hex;
use crate::values::{Hidden, Lines, hidden_character};
use crate::{Ledger, StoreError};

/// The prefix of every key.
pub const KEY_PREFIX: &str = "cdk_";
/// Longest key name, in characters (the schema checks the same bound).
pub const MAX_KEY_NAME_CHARS: usize = 60;
/// How stale `last used` may get: a key used again within this many milliseconds is not written to.
const LAST_USED_PRECISION_MS: i64 = 60_000;

/// The database id of an API key: safe to log, unlike the key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub i64);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The account, its sub-accounts and the transfers of its subtree.
    Read,
    /// Give credits to direct sub-accounts and take them back.
    Transfer,
    /// Open, rename, suspend and reactivate direct sub-accounts.
    Manage,
    /// Charge any account for what it sent (operator keys only).
    Usage,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Self::Read, Self::Transfer, Self::Manage, Self::Usage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Transfer => "transfer",
            Self::Manage => "manage",
            Self::Usage => "usage",
        }
    }

    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text.trim())
            .ok_or_else(|| ScopeError(text.trim().to_owned()))
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}: use read, transfer, manage or usage")]
pub struct ScopeError(pub String);

/// A set of scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

impl Scopes {
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// `read,transfer`: the stored form and the command line's.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        text.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Scope::parse)
            .collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Self(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(","))
    }
}

/// A key's name, trimmed, between 1 and [`MAX_KEY_NAME_CHARS`] characters: what the ledger records
/// as the actor of the key's transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyNameError {
    #[error("the key's name is empty")]
    Empty,
    #[error("the key's name is longer than {MAX_KEY_NAME_CHARS} characters")]
    TooLong,
    #[error("the key's name contains a control character")]
    ControlCharacters,
    #[error("the key's name contains a character that overrides the text's direction")]
    DirectionCharacters,
}

impl ApiKeyName {
    pub fn parse(text: &str) -> Result<Self, ApiKeyNameError> {
        let text = text.trim();
        if text.is_empty() {
            Err(ApiKeyNameError::Empty)
        } else if let Some(hidden) = hidden_character(text, Lines::One) {
            // Shown in the ledger as who moved credits: the same characters as an account's name.
            Err(match hidden {
                Hidden::Control => ApiKeyNameError::ControlCharacters,
                Hidden::Direction => ApiKeyNameError::DirectionCharacters,
            })
        } else if text.chars().count() > MAX_KEY_NAME_CHARS {
            Err(ApiKeyNameError::TooLong)
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The secret a client holds. Not `Display`, and its `Debug` is redacted: it is printed once, when
/// made, and never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{KEY_PREFIX}{}", hex(&bytes)))
    }

    /// The key as a client sent it (in `Authorization: Bearer …`).
    pub fn from_client(text: &str) -> Self {
        Self(text.trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(redacted)")
    }
}

/// A live key as its account's users see it in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: KeyId,
    pub name: String,
    pub scopes: Scopes,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// To the minute; `None` until first used.
    pub last_used_at: Option<i64>,
}

/// A key just made: the only time its secret is known.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub secret: ApiKeySecret,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("the account already has a key with that name")]
    NameTaken,
    #[error("a key needs at least one scope")]
    NoScopes,
    /// `usage` on an account's key, or anything but `usage` on an operator key.
    #[error("a key of this account cannot have the {} scope", .0.as_str())]
    ScopeNotAllowed(Scope),
    /// Missing, already revoked, or another account's (deliberately the same error).
    #[error("no such key")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ApiKeyError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: i64,
    name: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: KeyId(row.id),
            name: row.name,
            scopes: Scopes::parse(&row.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct KeyHolderRow {
    #[sqlx(flatten)]
    key: ApiKeyRow,
    account_id: i64,
    kind: String,
    /// Suspended accounts on the line from the key's account up: any, and the key acts for no one.
    line_suspended: i64,
}

impl Ledger {
    /// Makes a key for the actor's account with `scopes`, and returns its secret (shown once).
    /// The platform's actor (an operator at the command line) makes operator keys.
    ///
    /// Errors: `NoScopes`; `ScopeNotAllowed` (`usage` on an account's key, anything but `usage` on
    /// an operator key); `NameTaken` (a live key of the account has that name).
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        name: &ApiKeyName,
        scopes: Scopes,
    ) -> Result<NewApiKey, ApiKeyError> {
        if scopes.is_empty() {
            return Err(ApiKeyError::NoScopes);
        }
        let operator_key = actor.kind() == AccountKind::Platform;
        if let Some(refused) = scopes
            .iter()
            .find(|scope| (*scope == Scope::Usage) != operator_key)
        {
            return Err(ApiKeyError::ScopeNotAllowed(refused));
        }
        let secret = ApiKeySecret::generate();
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let row: ApiKeyRow = sqlx::query_as(
            "INSERT INTO api_keys (account_id, name, scopes, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, scopes, created_at, last_used_at",
        )
        .bind(actor.account().0)
        .bind(name.as_str())
        .bind(scopes.to_string())
        .bind(secret.hash())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        // The live-name index decides; the secret's cannot collide with 256 random bits.
        .map_err(|error| match is_unique_violation(&error) {
            true => ApiKeyError::NameTaken,
            false => error.into(),
        })?;
        tx.commit().await?;
        let key = ApiKey::try_from(row)?;
        tracing::info!(actor = actor.name(), account = %actor.account(), key = %key.id, "API key created");
        Ok(NewApiKey { key, secret })
    }

    /// The live keys of the actor's account, oldest first.
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>, StoreError> {
        let rows: Vec<ApiKeyRow> = sqlx::query_as(
            "SELECT id, name, scopes, created_at, last_used_at FROM api_keys \
             WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id",
        )
        .bind(actor.account().0)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    /// Revokes one of the actor's account's keys: it is refused from the next request on.
    ///
    /// Errors: `NotFound` (missing, already revoked, or another account's).
    pub async fn revoke_api_key(&self, actor: &Actor, key: KeyId) -> Result<(), ApiKeyError> {
        self.revoke_key(key, Some(actor.account())).await?;
        tracing::info!(actor = actor.name(), %key, "API key revoked");
        Ok(())
    }

    /// Revokes any key, for operators' tools.
    ///
    /// Errors: `NotFound` (missing or already revoked).
    pub async fn revoke_any_api_key(
        &self,
        operator: &Operator,
        key: KeyId,
    ) -> Result<(), ApiKeyError> {
        self.revoke_key(key, None).await?;
        tracing::info!(operator = operator.name(), %key, "API key revoked");
        Ok(())
    }

    async fn revoke_key(&self, key: KeyId, owner: Option<AccountId>) -> Result<(), ApiKeyError> {
        let mut tx = self.db.begin_write().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 \
             WHERE id = $2 AND revoked_at IS NULL AND ($3 = 0 OR account_id = $3)",
        )
        .bind(self.clock.now())
        .bind(key.0)
        .bind(owner.map_or(0, |account| account.0))
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(ApiKeyError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Who a key acts for, with its scopes and id: `None` for an unknown or revoked key, and for
    /// the key of an account that is suspended or below a suspended one. Records when the key was
    /// last used (to the minute).
    pub async fn actor_for_key(
        &self,
        secret: &ApiKeySecret,
    ) -> Result<Option<(Actor, Scopes, KeyId)>, StoreError> {
        // One statement: every API call asks.
        let row: Option<KeyHolderRow> = sqlx::query_as(concat!(
            line_of!("(SELECT account_id FROM api_keys WHERE secret_hash = $1)"),
            " SELECT k.id, k.name, k.scopes, k.created_at, k.last_used_at, k.account_id, a.kind, \
             (SELECT COUNT(*) FROM line WHERE line.status = 'suspended') AS line_suspended \
             FROM api_keys k JOIN accounts a ON a.id = k.account_id \
             WHERE k.secret_hash = $1 AND k.revoked_at IS NULL"
        ))
        .bind(secret.hash())
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.line_suspended > 0 {
            return Ok(None);
        }
        let account = AccountId(row.account_id);
        let kind: AccountKind = row.kind.parse()?;
        let key = ApiKey::try_from(row.key)?;
        let now = self.clock.now();
        if key
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USED_PRECISION_MS)
        {
            let mut tx = self.db.begin_write().await?;
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(key.id.0)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        let actor = Actor::new(account, kind, format!("API key: {}", key.name));
        Ok(Some((actor, key.scopes, key.id)))
    }

    /// The platform as an actor, for operators' tools that act as the platform does with an
    /// operator key (recording usage, making operator keys).
    pub fn platform_actor(&self, operator: &Operator) -> Actor {
        Actor::new(
            self.platform_id,
            AccountKind::Platform,
            operator.name().to_owned(),
        )
    }
}
