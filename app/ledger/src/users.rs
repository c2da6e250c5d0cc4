//! Users: a login and an Argon2id password hash, acting for one account.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::actor::Operator;
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

/// Hashes with Argon2id and a fresh salt, off the async threads (it takes tens of milliseconds).
pub(crate) async fn hash_password(password: &Password) -> Result<String, StoreError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(StoreError::Hashing)
    })
    .await?
}

/// Checks a password against a stored hash, off the async threads. With no hash (unknown login) it
/// still does the work of a check, so that response times do not reveal which logins exist.
pub(crate) async fn password_matches(password: &str, stored_hash: Option<String>) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let hash = stored_hash.unwrap_or_else(|| UNKNOWN_LOGIN_HASH.to_owned());
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
            && hash != UNKNOWN_LOGIN_HASH
    })
    .await
    .unwrap_or(false)
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

impl Ledger {
    /// Replaces a user's password and ends every session of that user.
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
            sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE login = $2 RETURNING id")
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
    async fn a_hash_matches_its_password_only() {
        let password = Password::parse("creditdesk-demo").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("creditdesk-demo", Some(hash.clone())).await);
        assert!(!password_matches("creditdesk-dem0", Some(hash)).await);
        assert!(!password_matches("anything", None).await);
    }
}
