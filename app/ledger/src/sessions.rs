//! Signing in and out, sessions, and the refusal of password guessing.
//!
//! - A session is a random 256-bit token held by the browser; the database keeps its SHA-256 only.
//! - Sessions expire after `SessionPolicy::idle` without use and slide forward while in use, but
//!   never past `SessionPolicy::absolute` after signing in.
//! - Every attempt is counted as a failure before its password is checked (and forgiven if the
//!   password proves right), so a burst of parallel guesses cannot all be checked. Within
//!   `FAILURE_WINDOW`, an attempt waits when its (login, address) pair has `PAIR_FAILURES`
//!   failures, when its address has `ADDRESS_FAILURES` (any logins), or when it comes from an
//!   address unknown to the login and the login has `UNKNOWN_ADDRESS_FAILURES` from unknown
//!   addresses. An address is known to a login for `KNOWN_ADDRESS_FOR` after signing in to it, so
//!   strangers cannot lock an owner out of the places it signs in from.

use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::{AccountId, AccountKind, suspension_reaches};
use crate::clock::millis;
use crate::db::WriteTx;
use crate::users::{MAX_PASSWORD_CHARS, password_matches};
use crate::values::without_nul;
use crate::{Ledger, StoreError};

/// Failed sign-ins within `FAILURE_WINDOW` after which one (login, address) pair waits.
pub const PAIR_FAILURES: i64 = 5;
/// Failed sign-ins within `FAILURE_WINDOW` after which one address waits, whatever the logins.
pub const ADDRESS_FAILURES: i64 = 20;
/// Failed sign-ins for one login within `FAILURE_WINDOW`, from addresses it does not know, after
/// which such addresses wait for that login.
pub const UNKNOWN_ADDRESS_FAILURES: i64 = 20;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long an address stays known to a login after a successful sign-in from it.
pub const KNOWN_ADDRESS_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// How long a session lives without use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    /// How long a session lives at most, however much it is used.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 60 * 60),
            absolute: Duration::from_secs(7 * 24 * 60 * 60),
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
    /// The password was set by someone else (a parent, an operator): until the user chooses their
    /// own, the session may only change it, read its own account and sign out.
    pub must_change_password: bool,
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

    pub(crate) fn hash(&self) -> String {
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
    /// How long from now the session lasts: the renewed cookie's max age.
    pub lifetime: Duration,
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

/// Why a password was not found right: the part that signing in and changing a password share.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordCheckError {
    #[error("wrong login or password")]
    Wrong,
    #[error("too many failed attempts; retry in {retry_after:?}")]
    Throttled { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PasswordCheckError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<PasswordCheckError> for SignInError {
    fn from(error: PasswordCheckError) -> Self {
        match error {
            PasswordCheckError::Wrong => Self::WrongCredentials,
            PasswordCheckError::Throttled { retry_after } => Self::Throttled { retry_after },
            PasswordCheckError::Store(error) => Self::Store(error),
        }
    }
}

#[derive(Clone, sqlx::FromRow)]
struct UserRow {
    user_id: i64,
    login: String,
    account_id: i64,
    kind: String,
    /// 0 or 1.
    must_change_password: i64,
}

impl UserRow {
    fn signed_in(self) -> Result<SignedIn, StoreError> {
        Ok(SignedIn {
            user_id: self.user_id,
            login: self.login,
            account: AccountId(self.account_id),
            kind: self.kind.parse()?,
            must_change_password: self.must_change_password != 0,
        })
    }
}

impl Ledger {
    /// Checks a login and password from `address` and opens a session.
    ///
    /// Errors, in order: `PasswordTooLong` (no password can be that long; refused before any
    /// work, and not counted as a guess), `Throttled` (too many recent failures for the pair, the
    /// address, or the login from unknown addresses; the password is not even checked),
    /// `WrongCredentials` (counted as a failure; also when the password was replaced while it was
    /// being checked), `Suspended` (the account or one above it).
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        address: &str,
    ) -> Result<SessionGrant, SignInError> {
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(SignInError::PasswordTooLong);
        }
        let checked = self.check_password(login, password, address).await?;
        self.open_session(checked).await
    }

    /// The first step of signing in (and of changing a password): the throttle, then the password.
    pub(crate) async fn check_password(
        &self,
        login: &str,
        password: &str,
        address: &str,
    ) -> Result<CheckedPassword, PasswordCheckError> {
        let login: String = without_nul(&login.trim().to_lowercase())
            .chars()
            .take(100)
            .collect();
        let attempt = self.admit_attempt(&login, address).await?;

        let user: Option<(UserRow, String)> = sqlx::query_as::<_, UserRowWithHash>(
            "SELECT u.id AS user_id, u.login, u.account_id, a.kind, u.must_change_password, \
             u.password_hash \
             FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.login = $1",
        )
        .bind(&login)
        .fetch_optional(self.db.pool())
        .await?
        .map(UserRowWithHash::split);
        let (user, hash) = user.unzip();

        // A wrong password leaves the attempt counted as a failure.
        if !password_matches(password, hash.clone()).await {
            tracing::warn!(login, address, "wrong password");
            return Err(PasswordCheckError::Wrong);
        }
        let (Some(user), Some(hash)) = (user, hash) else {
            return Err(PasswordCheckError::Wrong);
        };
        Ok(CheckedPassword {
            user,
            hash,
            attempt,
            address: address.to_owned(),
        })
    }

    /// The second step of signing in: a session for a user whose password was just checked, if
    /// that password is still the user's when the session is written.
    pub(crate) async fn open_session(
        &self,
        checked: CheckedPassword,
    ) -> Result<SessionGrant, SignInError> {
        let now = self.clock.now();
        let signed_in = checked.user.clone().signed_in()?;
        let token = SessionToken::generate();
        let lifetime = self.session_policy.idle.min(self.session_policy.absolute);
        let mut tx = self.db.begin_write().await?;
        // Checked in the transaction that opens the session: on SQLite no suspension can commit in
        // between.
        if suspension_reaches(&mut *tx, signed_in.account).await? {
            tx.rollback().await?;
            // The password was right: not a guess to count.
            sqlx::query("DELETE FROM sign_in_failures WHERE id = $1")
                .bind(checked.attempt)
                .execute(self.db.pool())
                .await?;
            return Err(SignInError::Suspended);
        }
        // Holds the user's row until the session is written, so that a password reset either
        // comes first (and this sign-in is refused) or ends this session too.
        let current = sqlx::query(
            "UPDATE users SET password_hash = password_hash WHERE id = $1 AND password_hash = $2",
        )
        .bind(checked.user.user_id)
        .bind(&checked.hash)
        .execute(&mut *tx)
        .await?;
        if current.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(SignInError::WrongCredentials);
        }
        record_success(&mut tx, &checked, now).await?;
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

    /// The session behind a token, if it is valid: not expired (idle or absolute), and neither its
    /// account nor any account above it suspended. Slides the expiry forward once half of the idle
    /// time has passed, up to the absolute end.
    pub async fn session(&self, token: &SessionToken) -> Result<Option<ActiveSession>, StoreError> {
        let Some((signed_in, mut expires_at, ends_at)) = self.valid_session(token).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let idle = millis(self.session_policy.idle);
        let renewed = expires_at - now < idle / 2 && expires_at < ends_at;
        if renewed {
            expires_at = now.saturating_add(idle).min(ends_at);
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
                .bind(expires_at)
                .bind(token.hash())
                .execute(self.db.pool())
                .await?;
        }
        Ok(Some(ActiveSession {
            signed_in,
            renewed,
            lifetime: Duration::from_millis(u64::try_from(expires_at - now).unwrap_or(0)),
        }))
    }

    /// Whether the session behind a token is still valid, without sliding its expiry: for a
    /// connection that stays open (the live stream), which is not the user's activity.
    pub async fn session_is_valid(&self, token: &SessionToken) -> Result<bool, StoreError> {
        Ok(self.valid_session(token).await?.is_some())
    }

    /// The valid session behind a token, with when it expires and when it ends at the latest.
    async fn valid_session(
        &self,
        token: &SessionToken,
    ) -> Result<Option<(SignedIn, i64, i64)>, StoreError> {
        let now = self.clock.now();
        let absolute = millis(self.session_policy.absolute);
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT u.id AS user_id, u.login, u.account_id, a.kind, u.must_change_password, \
             s.created_at, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.created_at > $3",
        )
        .bind(token.hash())
        .bind(now)
        .bind(now.saturating_sub(absolute))
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let ends_at = row.created_at.saturating_add(absolute);
        let expires_at = row.expires_at.min(ends_at);
        let signed_in = row.user.signed_in()?;
        if suspension_reaches(self.db.pool(), signed_in.account).await? {
            return Ok(None);
        }
        Ok(Some((signed_in, expires_at, ends_at)))
    }

    /// Ends the session behind a token; signing out twice is not an error.
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token.hash())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Counts an attempt as a failure before its password is checked, or refuses it if a limit is
    /// reached: attempts take turns here per login and per address, so however many arrive at
    /// once, no more than the limits ever get their password checked. Answers the attempt's id.
    async fn admit_attempt(&self, login: &str, address: &str) -> Result<i64, PasswordCheckError> {
        let now = self.clock.now();
        let since = now - millis(FAILURE_WINDOW);
        let mut tx = self.db.begin_write().await?;
        let keys = [
            format!("sign-in login {login}"),
            format!("sign-in address {address}"),
        ];
        self.db.lock_keys(&mut tx, &keys).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1")
            .bind(since)
            .execute(&mut *tx)
            .await?;

        let pair: (i64, i64) = sqlx::query_as(PAIR_FAILURES_SINCE)
            .bind(since)
            .bind(login)
            .bind(address)
            .fetch_one(&mut *tx)
            .await?;
        let from_address: (i64, i64) = sqlx::query_as(ADDRESS_FAILURES_SINCE)
            .bind(since)
            .bind(address)
            .fetch_one(&mut *tx)
            .await?;
        let mut counts = vec![(pair, PAIR_FAILURES), (from_address, ADDRESS_FAILURES)];
        let known_since = now - millis(KNOWN_ADDRESS_FOR);
        let known: i64 = sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM sign_in_addresses k JOIN users u ON u.id = k.user_id ",
            "WHERE u.login = $1 AND k.address = $2 AND k.last_signed_in_at > $3"
        ))
        .bind(login)
        .bind(address)
        .bind(known_since)
        .fetch_one(&mut *tx)
        .await?;
        if known == 0 {
            let from_unknown: (i64, i64) = sqlx::query_as(UNKNOWN_ADDRESS_FAILURES_SINCE)
                .bind(since)
                .bind(login)
                .bind(known_since)
                .fetch_one(&mut *tx)
                .await?;
            counts.push((from_unknown, UNKNOWN_ADDRESS_FAILURES));
        }
        // Refused until the oldest failure counted against a limit leaves the window.
        let retry_after = counts
            .into_iter()
            .filter(|((failures, _), limit)| failures >= limit)
            .map(|((_, oldest), _)| {
                Duration::from_millis(u64::try_from(oldest - since).unwrap_or(0))
            })
            .max();
        if let Some(retry_after) = retry_after {
            // At once rather than on drop: other attempts wait for this transaction's locks.
            tx.rollback().await?;
            return Err(PasswordCheckError::Throttled { retry_after });
        }

        let attempt: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_failures (login, address, at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(login)
        .bind(address)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(attempt)
    }
}

/// Records, inside the transaction that acts on it, that `checked`'s password proved right: its
/// address becomes known to the user, which also forgives that pair's failures until now.
pub(crate) async fn record_success(
    tx: &mut WriteTx,
    checked: &CheckedPassword,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO sign_in_addresses (user_id, address, last_signed_in_at) VALUES ($1, $2, $3) ",
        "ON CONFLICT (user_id, address) DO UPDATE SET last_signed_in_at = excluded.last_signed_in_at"
    ))
    .bind(checked.user.user_id)
    .bind(&checked.address)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    // Only this user's rows: they are touched only under the user's row lock, so never by two
    // transactions at once.
    sqlx::query("DELETE FROM sign_in_addresses WHERE user_id = $1 AND last_signed_in_at <= $2")
        .bind(checked.user.user_id)
        .bind(now - millis(KNOWN_ADDRESS_FOR))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Failures since `$1` that no later success of their own (login, address) pair forgave, with the
/// time of the oldest; each use adds its own scope.
macro_rules! unforgiven_failures_since {
    () => {
        concat!(
            "SELECT COUNT(*) AS failures, COALESCE(MIN(f.at), 0) AS oldest FROM sign_in_failures f ",
            "WHERE f.at > $1 AND NOT EXISTS (SELECT 1 FROM sign_in_addresses k JOIN users u ON u.id = k.user_id ",
            "WHERE u.login = f.login AND k.address = f.address AND k.last_signed_in_at >= f.at)"
        )
    };
}

/// `$2` login, `$3` address.
const PAIR_FAILURES_SINCE: &str = concat!(
    unforgiven_failures_since!(),
    " AND f.login = $2 AND f.address = $3"
);

/// `$2` address.
const ADDRESS_FAILURES_SINCE: &str = concat!(unforgiven_failures_since!(), " AND f.address = $2");

/// `$2` login, `$3` the last sign-in after which an address is still known to it.
const UNKNOWN_ADDRESS_FAILURES_SINCE: &str = concat!(
    unforgiven_failures_since!(),
    " AND f.login = $2 AND NOT EXISTS (SELECT 1 FROM sign_in_addresses k JOIN users u ON u.id = k.user_id ",
    "WHERE u.login = f.login AND k.address = f.address AND k.last_signed_in_at > $3)"
);

/// A user whose password was checked right a moment ago, counted as an attempt from `address`:
/// what the next step (a session, a new password) needs.
pub(crate) struct CheckedPassword {
    user: UserRow,
    /// The hash the password was checked against: the step after acts only if it is still current.
    hash: String,
    attempt: i64,
    address: String,
}

impl CheckedPassword {
    pub(crate) fn user_id(&self) -> i64 {
        self.user.user_id
    }

    pub(crate) fn hash(&self) -> &str {
        &self.hash
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
    created_at: i64,
    expires_at: i64,
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
