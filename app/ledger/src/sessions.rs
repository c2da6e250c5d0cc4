//! Signing in and out, sessions, and the refusal of password guessing.
//!
//! - A session is a random 256-bit token held by the browser; the database keeps its SHA-256 only.
//! - Sessions expire after `SessionPolicy::idle` without use and slide forward while in use.
//! - After `MAX_FAILURES` failed sign-ins for one login, or from one address, within `FAILURE_WINDOW`,
//!   further attempts for that login or from that address are refused until the window has passed.
//!   Other logins from other addresses are unaffected.

use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::{AccountId, AccountKind, suspension_reaches};
use crate::clock::millis;
use crate::users::{MAX_PASSWORD_CHARS, password_matches};
use crate::{Ledger, StoreError};

pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How long a session lives without use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    pub login: String,
    pub account: AccountId,
    pub kind: AccountKind,
}

/// The secret the browser holds. Not `Display`: it is written only into the session cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex(&bytes))
    }

    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(redacted)")
    }
}

/// A session just opened, or one whose expiry just moved.
#[derive(Debug, Clone)]
pub struct SessionGrant {
    pub token: SessionToken,
    pub signed_in: SignedIn,
    /// How long from now the session lasts: the cookie's max age.
    pub lifetime: Duration,
}

/// A session found valid; `renewed` says its expiry slid forward, so the cookie should too.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub signed_in: SignedIn,
    pub renewed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong login or password")]
    WrongCredentials,
    #[error("too many failed sign-ins; retry in {retry_after:?}")]
    Throttled { retry_after: Duration },
    #[error("the account is suspended")]
    Suspended,
    #[error("the password is longer than any password can be")]
    PasswordTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SignInError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: i64,
    login: String,
    account_id: i64,
    kind: String,
}

impl UserRow {
    fn signed_in(self) -> Result<SignedIn, StoreError> {
        Ok(SignedIn {
            user_id: self.user_id,
            login: self.login,
            account: AccountId(self.account_id),
            kind: self.kind.parse()?,
        })
    }
}

impl Ledger {
    /// Checks a login and password from `address` and opens a session.
    ///
    /// Errors, in order: `PasswordTooLong` (no password can be that long; refused before any
    /// work, and not counted as a guess), `Throttled` (too many recent failures for the login or
    /// the address; the password is not even checked), `WrongCredentials` (recorded as a failure),
    /// `Suspended` (the account or one above it).
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        address: &str,
    ) -> Result<SessionGrant, SignInError> {
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(SignInError::PasswordTooLong);
        }
        let login: String = login.trim().to_lowercase().chars().take(100).collect();
        let now = self.clock.now();
        if let Some(retry_after) = self.throttled(&login, address, now).await? {
            return Err(SignInError::Throttled { retry_after });
        }

        let user: Option<(UserRow, String)> = sqlx::query_as::<_, UserRowWithHash>(
            "SELECT u.id AS user_id, u.login, u.account_id, a.kind, u.password_hash \
             FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.login = $1",
        )
        .bind(&login)
        .fetch_optional(self.db.pool())
        .await?
        .map(UserRowWithHash::split);
        let (user, hash) = user.unzip();

        if !password_matches(password, hash).await {
            self.record_failure(&login, address, now).await?;
            return Err(SignInError::WrongCredentials);
        }
        let Some(user) = user else {
            return Err(SignInError::WrongCredentials);
        };
        let signed_in = user.signed_in()?;

        let token = SessionToken::generate();
        let lifetime = self.session_policy.idle;
        let mut tx = self.db.begin_write().await?;
        // Checked in the transaction that opens the session: on SQLite no suspension can commit in
        // between.
        if suspension_reaches(&mut *tx, signed_in.account).await? {
            return Err(SignInError::Suspended);
        }
        sqlx::query("DELETE FROM sign_in_failures WHERE login = $1")
            .bind(&login)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token.hash())
            .bind(signed_in.user_id)
            .bind(now)
            .bind(now + millis(lifetime))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(login = %signed_in.login, account = %signed_in.account, "signed in");
        Ok(SessionGrant {
            token,
            signed_in,
            lifetime,
        })
    }

    /// The session behind a token, if it is valid: not expired, and neither its account nor any
    /// account above it suspended. Slides the expiry forward once half of the idle time has passed.
    pub async fn session(&self, token: &SessionToken) -> Result<Option<ActiveSession>, StoreError> {
        let now = self.clock.now();
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT u.id AS user_id, u.login, u.account_id, a.kind, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token.hash())
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at = row.expires_at;
        let signed_in = row.user.signed_in()?;
        if suspension_reaches(self.db.pool(), signed_in.account).await? {
            return Ok(None);
        }
        let idle = millis(self.session_policy.idle);
        let renewed = expires_at - now < idle / 2;
        if renewed {
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
                .bind(now + idle)
                .bind(token.hash())
                .execute(self.db.pool())
                .await?;
        }
        Ok(Some(ActiveSession { signed_in, renewed }))
    }

    /// Ends the session behind a token; signing out twice is not an error.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.hash())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.session_policy
    }

    /// How long until attempts for this login or from this address are accepted again, if refused now.
    async fn throttled(
        &self,
        login: &str,
        address: &str,
        now: i64,
    ) -> Result<Option<Duration>, StoreError> {
        let since = now - millis(FAILURE_WINDOW);
        let mut retry_after = None;
        for (column, value) in [("login", login), ("address", address)] {
            // Column names come from the fixed list above, never from input.
            let query = format!(
                "SELECT COUNT(*) AS failures, COALESCE(MIN(at), 0) AS oldest \
                 FROM sign_in_failures WHERE {column} = $1 AND at > $2"
            );
            let (failures, oldest): (i64, i64) = sqlx::query_as(&query)
                .bind(value)
                .bind(since)
                .fetch_one(self.db.pool())
                .await?;
            if failures >= MAX_FAILURES {
                let wait = Duration::from_millis(u64::try_from(oldest - since).unwrap_or(0));
                retry_after = retry_after.max(Some(wait));
            }
        }
        Ok(retry_after)
    }

    async fn record_failure(&self, login: &str, address: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
            .bind(now - millis(FAILURE_WINDOW))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (login, address, at) VALUES ($1, $2, $3)")
            .bind(login)
            .bind(address)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(login, address, "failed sign-in");
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct UserRowWithHash {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

impl UserRowWithHash {
    fn split(self) -> (UserRow, String) {
        (self.user, self.password_hash)
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    expires_at: i64,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
