//! What signing in refuses before it spends anything on a request: a password longer than any
//! password can be is refused without hashing it.

use std::time::{Duration, Instant};

use ledger::SignInError;
use ledger::testing::with_worked_example;
use ledger::users::MAX_PASSWORD_CHARS;

#[tokio::test]
async fn a_password_longer_than_any_password_can_be_is_refused_without_hashing_it() {
    let (_db, ledger, _) = with_worked_example().await;
    let started = Instant::now();
    let wrong = ledger
        .sign_in("direct", "not the password", "192.0.2.7")
        .await;
    let one_check = started.elapsed();
    assert!(matches!(wrong, Err(SignInError::WrongCredentials)));

    for password in ["p".repeat(MAX_PASSWORD_CHARS + 1), "p".repeat(1 << 20)] {
        let started = Instant::now();
        let refused = ledger.sign_in("direct", &password, "192.0.2.7").await;
        let took = started.elapsed();
        assert!(
            matches!(refused, Err(SignInError::PasswordTooLong)),
            "{} characters: {refused:?}",
            password.len()
        );
        // An Argon2 check takes tens of milliseconds; a refusal before it takes microseconds.
        assert!(
            took < one_check / 4 && took < Duration::from_millis(50),
            "{} characters took {took:?}; one password check takes {one_check:?}",
            password.len()
        );
    }
}

#[tokio::test]
async fn a_password_of_the_longest_allowed_length_is_still_checked() {
    let (_db, ledger, _) = with_worked_example().await;
    let longest = "p".repeat(MAX_PASSWORD_CHARS);
    let refused = ledger.sign_in("direct", &longest, "192.0.2.7").await;
    assert!(
        matches!(refused, Err(SignInError::WrongCredentials)),
        "{refused:?}"
    );
}
