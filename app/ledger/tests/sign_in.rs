//! Signing in, sessions, the refusal of password guessing, and passwords, against a real database.
//! Every test starts from the worked example; its users' password is `DEMO_PASSWORD`.

use std::time::Duration;

use ledger::sessions::{FAILURE_WINDOW, MAX_FAILURES};
use ledger::testing::{
    TestDatabase, actor, operator, sign_in, with_worked_example, worked_example,
};
use ledger::{
    AccountKind, Actor, Clock, DEMO_PASSWORD, Login, Password, SessionPolicy, SetPasswordError,
    SignInError,
};

#[tokio::test]
async fn the_right_password_opens_a_session_for_the_login_in_any_case() {
    let (_db, ledger, example) = with_worked_example().await;

    let grant = ledger
        .sign_in("  DIRECT ", DEMO_PASSWORD, "10.0.0.1")
        .await
        .unwrap();

    assert_eq!(grant.signed_in.account, example.direct.account());
    assert_eq!(grant.signed_in.login, "direct");
    assert_eq!(grant.signed_in.kind, AccountKind::DirectReseller);
    assert_eq!(grant.token.expose().len(), 64, "256 random bits, hex");
    let session = ledger
        .session(&grant.token)
        .await
        .unwrap()
        .expect("a valid session");
    assert_eq!(session.signed_in, grant.signed_in);
}

#[tokio::test]
async fn a_session_acts_as_the_same_actor_the_ledger_knows_by_login() {
    let (_db, ledger, example) = with_worked_example().await;

    let grant = ledger
        .sign_in("reseller1", DEMO_PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let from_session = Actor::from(&grant.signed_in);

    assert_eq!(from_session, actor(&ledger, "reseller1").await);
    assert_eq!(
        (
            from_session.account(),
            from_session.kind(),
            from_session.name()
        ),
        (example.reseller_one, AccountKind::Reseller, "reseller1")
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_login_is_refused_alike() {
    let (_db, ledger, _) = with_worked_example().await;

    for (login, password) in [("direct", "wrong password"), ("nobody", DEMO_PASSWORD)] {
        let error = ledger
            .sign_in(login, password, "10.0.0.1")
            .await
            .unwrap_err();
        assert!(
            matches!(error, SignInError::WrongCredentials),
            "{login}: {error:?}"
        );
    }
}

#[tokio::test]
async fn five_failures_for_a_login_lock_it_for_the_window_without_touching_others() {
    let db = TestDatabase::new().await;
    let clock = Clock::manual(1_800_000_000_000);
    let ledger = db.ledger().await.with_clock(clock.clone());
    worked_example(&ledger).await;
    for attempt in 0..MAX_FAILURES {
        // From a different address each time: the login's own count locks it.
        let address = format!("10.0.1.{attempt}");
        let error = ledger
            .sign_in("direct", "guess", &address)
            .await
            .unwrap_err();
        assert!(matches!(error, SignInError::WrongCredentials), "{error:?}");
    }

    let locked = ledger
        .sign_in("direct", DEMO_PASSWORD, "10.9.9.9")
        .await
        .unwrap_err();
    let SignInError::Throttled { retry_after } = locked else {
        panic!("expected Throttled, got {locked:?}")
    };
    assert!(retry_after <= FAILURE_WINDOW && retry_after > Duration::from_secs(14 * 60));
    sign_in(&ledger, "reseller1").await;

    clock.advance(FAILURE_WINDOW);
    ledger
        .sign_in("direct", DEMO_PASSWORD, "10.9.9.9")
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn five_failures_from_an_address_lock_that_address_only() {
    let (_db, ledger, _) = with_worked_example().await;
    for attempt in 0..MAX_FAILURES {
        let login = format!("guess{attempt}");
        ledger
            .sign_in(&login, "guess", "10.0.0.66")
            .await
            .unwrap_err();
    }

    let refused = ledger
        .sign_in("reseller1", DEMO_PASSWORD, "10.0.0.66")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SignInError::Throttled { .. }),
        "{refused:?}"
    );
    ledger
        .sign_in("reseller1", DEMO_PASSWORD, "10.0.0.7")
        .await
        .expect("other addresses are unaffected");
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_logins_failures() {
    let (_db, ledger, _) = with_worked_example().await;
    for _ in 0..MAX_FAILURES - 1 {
        ledger
            .sign_in("direct", "guess", "10.0.0.1")
            .await
            .unwrap_err();
    }
    sign_in(&ledger, "direct").await;
    ledger
        .sign_in("direct", "one more typo", "10.0.0.3")
        .await
        .unwrap_err();
    ledger
        .sign_in("direct", DEMO_PASSWORD, "10.0.0.4")
        .await
        .expect("one failure since the success");
}

#[tokio::test]
async fn a_session_expires_after_the_idle_time_and_slides_while_used() {
    let db = TestDatabase::new().await;
    let clock = Clock::manual(1_800_000_000_000);
    let ledger = db
        .ledger()
        .await
        .with_clock(clock.clone())
        .with_session_policy(SessionPolicy {
            idle: Duration::from_secs(3600),
        });
    worked_example(&ledger).await;
    let grant = sign_in(&ledger, "direct").await;
    assert_eq!(grant.lifetime, Duration::from_secs(3600));

    clock.advance(Duration::from_secs(20 * 60));
    assert!(
        !ledger.session(&grant.token).await.unwrap().unwrap().renewed,
        "fresh enough"
    );
    clock.advance(Duration::from_secs(20 * 60));
    assert!(
        ledger.session(&grant.token).await.unwrap().unwrap().renewed,
        "past half: slid forward"
    );
    clock.advance(Duration::from_secs(50 * 60));
    assert!(
        ledger.session(&grant.token).await.unwrap().is_some(),
        "alive thanks to the renewal"
    );

    clock.advance(Duration::from_secs(60 * 60));
    assert!(
        ledger.session(&grant.token).await.unwrap().is_none(),
        "an hour unused: expired"
    );
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let (_db, ledger, _) = with_worked_example().await;
    let grant = sign_in(&ledger, "direct").await;
    let other_device = sign_in(&ledger, "direct").await;

    ledger.sign_out(&grant.token).await.unwrap();
    ledger.sign_out(&grant.token).await.expect("twice is fine");

    assert!(ledger.session(&grant.token).await.unwrap().is_none());
    assert!(
        ledger.session(&other_device.token).await.unwrap().is_some(),
        "only that session"
    );
}

#[tokio::test]
async fn a_new_password_replaces_the_old_and_ends_sessions() {
    let (_db, ledger, _) = with_worked_example().await;
    let grant = sign_in(&ledger, "direct").await;
    let others = sign_in(&ledger, "reseller1").await;

    let login = Login::parse("direct").unwrap();
    ledger
        .set_password(
            &operator(),
            &login,
            &Password::parse("battery staple").unwrap(),
        )
        .await
        .unwrap();

    assert!(ledger.session(&grant.token).await.unwrap().is_none());
    assert!(
        ledger.session(&others.token).await.unwrap().is_some(),
        "another user's session is untouched"
    );
    let old = ledger
        .sign_in("direct", DEMO_PASSWORD, "10.0.0.1")
        .await
        .unwrap_err();
    assert!(matches!(old, SignInError::WrongCredentials), "{old:?}");
    ledger
        .sign_in("direct", "battery staple", "10.0.0.1")
        .await
        .expect("the new password signs in");
}

#[tokio::test]
async fn a_new_password_for_an_unknown_login_is_refused() {
    let (_db, ledger, _) = with_worked_example().await;

    let unknown = ledger
        .set_password(
            &operator(),
            &Login::parse("nobody").unwrap(),
            &Password::parse("whatever1").unwrap(),
        )
        .await;

    assert!(
        matches!(unknown, Err(SetPasswordError::UnknownLogin)),
        "{unknown:?}"
    );
}
