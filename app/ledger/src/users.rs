//! Users: a login and an Argon2id password hash, acting for one account.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::actor::{Actor, Operator};
use crate::sessions::{PasswordCheckError, SessionToken, record_success};
use crate::{Ledger, StoreError};

/// A login: trimmed and lowercased (so it is unique regardless of case), 3 to 40 letters, digits,
/// dots, dashes or underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a login is 3 to 40 letters, digits, '.', '-' or '_'")]
pub struct LoginError;

impl Login {
    pub fn parse(text: &str) -> Result<Self, LoginError> {
        let login = text.trim().to_lowercase();
        let well_formed = (3..=40).contains(&login.len())
            && login.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
            });
        well_formed.then_some(Self(login)).ok_or(LoginError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password, 8 to 128 characters. Never printed: its `Debug` is redacted and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is shorter than {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password is longer than {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

impl Password {
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        match text.chars().count() {
            ..MIN_PASSWORD_CHARS => Err(PasswordError::TooShort),
            MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS => Ok(Self(text.to_owned())),
            _ => Err(PasswordError::TooLong),
        }
    }

    /// A random 20-character password, for operators who do not choose one.
    pub fn generate() -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rngs::OsRng;
        Self(
            (0..20)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect(),
        )
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

/// Argon2's working memory: about 19 MiB with the default parameters.
type Memory = Vec<Block>;

/// One Argon2 run per core at a time, so that a burst of sign-ins waits its turn instead of
/// exhausting memory.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
});

/// Working memories not in use: at most one per turn is ever made, then reused. Allocating it per
/// run, as `Argon2::hash_password` does, left the allocator holding about 300 MiB after 100 runs,
/// two at a time (tests/sign_in_burst.rs).
static SPARE_MEMORY: Mutex<Vec<Memory>> = Mutex::new(Vec::new());

/// Runs `work` with a working memory when a turn comes, off the async threads (a run takes tens of
/// milliseconds).
async fn hashing<T: Send + 'static>(
    work: impl FnOnce(&mut Memory) -> T + Send + 'static,
) -> Result<T, StoreError> {
    // `HASHING` is never closed, so a turn always comes.
    let turn = HASHING.acquire().await.ok();
    let done = tokio::task::spawn_blocking(move || {
        // Held until the memory is back, even if the caller has gone (a dropped request).
        let _turn = turn;
        let spare = SPARE_MEMORY.lock().ok().and_then(|mut spare| spare.pop());
        let mut memory = spare.unwrap_or_default();
        let done = work(&mut memory);
        if let Ok(mut spare) = SPARE_MEMORY.lock() {
            spare.push(memory);
        }
        done
    });
    Ok(done.await?)
}

/// The output of `argon2` for `password` and `salt`, in `memory`: what `Argon2::hash_password`
/// computes, without allocating its own memory.
fn argon2_output(
    argon2: &Argon2,
    memory: &mut Memory,
    password: &[u8],
    salt: Salt,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_bytes = [0_u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    memory.resize(argon2.params().block_count(), Block::default());
    Output::init_with(len, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut **memory)?)
    })
}

/// Hashes with Argon2id, its default parameters and a fresh salt, as a PHC string.
pub(crate) async fn hash_password(password: &Password) -> Result<String, StoreError> {
    let password = password.clone();
    hashing(move |memory| {
        let argon2 = Argon2::default();
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let len = argon2
            .params()
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = argon2_output(
            &argon2,
            memory,
            password.expose().as_bytes(),
            salt.as_salt(),
            len,
        )?;
        let hash = PasswordHash {
            algorithm: Algorithm::default().ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(argon2.params())?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    })
    .await?
    .map_err(StoreError::Hashing)
}

/// Checks a password against a stored hash. With no hash (unknown login) it still does the work of
/// a check, so that response times do not reveal which logins exist.
pub(crate) async fn password_matches(password: &str, stored_hash: Option<String>) -> bool {
    let password = password.to_owned();
    hashing(move |memory| {
        let hash = stored_hash.unwrap_or_else(|| UNKNOWN_LOGIN_HASH.to_owned());
        matches(memory, &password, &hash).unwrap_or(false) && hash != UNKNOWN_LOGIN_HASH
    })
    .await
    .unwrap_or(false)
}

/// Whether `password` is the one `hash` (a PHC string) was made from: what
/// `Argon2::verify_password` answers, in `memory`.
fn matches(memory: &mut Memory, password: &str, hash: &str) -> password_hash::Result<bool> {
    let parsed = PasswordHash::new(hash)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let version = parsed.version.map(Version::try_from).transpose()?;
    let argon2 = Argon2::new(
        Algorithm::try_from(parsed.algorithm)?,
        version.unwrap_or_default(),
        Params::try_from(&parsed)?,
    );
    let output = argon2_output(&argon2, memory, password.as_bytes(), salt, expected.len())?;
    // `Output`'s equality takes the same time wherever the first difference is.
    Ok(output == expected)
}

/// An Argon2id hash with the default parameters that no password is checked against successfully.
const UNKNOWN_LOGIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2yfKNnTe5S7ZIuQKqfB1UaAiK6FmCx8yXz0iWqS3Vj4";

#[derive(Debug, thiserror::Error)]
pub enum SetPasswordError {
    #[error("no user has that login")]
    UnknownLogin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the new password is the current one")]
    SamePassword,
    #[error("too many failed attempts; retry in {retry_after:?}")]
    Throttled { retry_after: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ChangePasswordError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<PasswordCheckError> for ChangePasswordError {
    fn from(error: PasswordCheckError) -> Self {
        match error {
            PasswordCheckError::Wrong => Self::WrongPassword,
            PasswordCheckError::Throttled { retry_after } => Self::Throttled { retry_after },
            PasswordCheckError::Store(error) => Self::Store(error),
        }
    }
}

impl Ledger {
    /// The actor's user replaces their own password, proving it with the current one (checked and
    /// throttled like a sign-in from `address`), and ends their sessions other than `session`.
    ///
    /// Errors, in order: `SamePassword`, `Throttled`, `WrongPassword` (also when the password was
    /// replaced while it was being checked).
    pub async fn change_password(
        &self,
        actor: &Actor,
        session: &SessionToken,
        current: &str,
        new: &Password,
        address: &str,
    ) -> Result<(), ChangePasswordError> {
        if new.expose() == current {
            return Err(ChangePasswordError::SamePassword);
        }
        let checked = self.check_password(actor.name(), current, address).await?;
        let hash = hash_password(new).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        // Conditional on the hash just checked, so that a reset since then wins.
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0 \
             WHERE id = $2 AND password_hash = $3",
        )
        .bind(&hash)
        .bind(checked.user_id())
        .bind(checked.hash())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ChangePasswordError::WrongPassword);
        }
        record_success(&mut tx, &checked, now).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(checked.user_id())
            .bind(session.hash())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(login = actor.name(), "password changed by its user");
        Ok(())
    }

    /// Lets the user with `login` keep a password someone else set, without being asked to change
    /// it: for the demo's users only, whose shared password the README prints.
    pub(crate) async fn keep_password(&self, login: &Login) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET must_change_password = 0 WHERE login = $1")
            .bind(login.as_str())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Replaces a user's password and ends every session of that user, who must then choose their
    /// own at the next sign-in.
    ///
    /// Errors: `UnknownLogin`.
    pub async fn set_password(
        &self,
        _operator: &Operator,
        login: &Login,
        password: &Password,
    ) -> Result<(), SetPasswordError> {
        let hash = hash_password(password).await?;
        let mut tx = self.db.begin_write().await.map_err(StoreError::from)?;
        let user_id: Option<i64> =
            sqlx::query_scalar("UPDATE users SET password_hash = $1, must_change_password = 1 WHERE login = $2 RETURNING id")
                .bind(&hash)
                .bind(login.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        let user_id = user_id.ok_or(SetPasswordError::UnknownLogin)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown login is checked against `UNKNOWN_LOGIN_HASH`: if that hash did not parse, or
    /// were cheaper than a real one, the answer would come back early and tell which logins exist.
    #[tokio::test]
    async fn an_unknown_login_costs_a_full_argon2_run_like_a_real_one() {
        let dummy = PasswordHash::new(UNKNOWN_LOGIN_HASH).expect("the dummy hash parses");
        let mut memory = Memory::default();
        let real = hash_password(&Password::parse("creditdesk-demo").unwrap())
            .await
            .unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(
            Params::try_from(&dummy).unwrap(),
            Params::try_from(&real).unwrap(),
            "the same memory, iterations and parallelism as the hashes we store"
        );
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert_eq!(
            matches(&mut memory, "anything", UNKNOWN_LOGIN_HASH),
            Ok(false),
            "the dummy hash is checked in full and matches nothing"
        );
    }

    #[test]
    fn a_login_is_case_insensitive_and_trimmed() {
        assert_eq!(Login::parse("  Reseller1 ").unwrap().as_str(), "reseller1");
    }

    #[test]
    fn a_login_refuses_spaces_symbols_and_bad_lengths() {
        for text in ["ab", "has space", "x@y", &"a".repeat(41), "ünï"] {
            assert_eq!(Login::parse(text), Err(LoginError), "{text:?}");
        }
    }

    #[test]
    fn a_password_has_bounds_and_is_never_printed() {
        assert_eq!(Password::parse("short"), Err(PasswordError::TooShort));
        assert_eq!(
            Password::parse(&"p".repeat(129)),
            Err(PasswordError::TooLong)
        );
        let password = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{password:?}"), "Password(redacted)");
        assert_eq!(Password::generate().expose().len(), 20);
    }

    #[tokio::test]
    async fn hashes_are_the_argon2_librarys_own_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};

        let ours = hash_password(&Password::parse("creditdesk-demo").unwrap())
            .await
            .unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"creditdesk-demo", &parsed)
                .is_ok()
        );
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::default()
            .hash_password(b"creditdesk-demo", &salt)
            .unwrap()
            .to_string();
        assert!(password_matches("creditdesk-demo", Some(theirs.clone())).await);
        assert!(!password_matches("creditdesk-dem0", Some(theirs)).await);
    }

    #[tokio::test]
    async fn a_hash_matches_its_password_only() {
        let password = Password::parse("creditdesk-demo").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("creditdesk-demo", Some(hash.clone())).await);
        assert!(!password_matches("creditdesk-dem0", Some(hash)).await);
        assert!(!password_matches("anything", None).await);
    }
}
