//! Signing in, sessions, the refusal of password guessing, and passwords, against a real database.
//! Every test starts from the worked example; its users' password is `DEMO_PASSWORD`.

use std::time::Duration;

use ledger::sessions::{
    ADDRESS_FAILURES, FAILURE_WINDOW, KNOWN_ADDRESS_FOR, PAIR_FAILURES, UNKNOWN_ADDRESS_FAILURES,
};
use ledger::testing::{
    TEST_ADDRESS, TestDatabase, actor, operator, sign_in, sign_in_interrupted, with_worked_example,
    worked_example,
};
use ledger::{
    AccountKind, AccountName, Actor, ChangePasswordError, Clock, DEMO_PASSWORD, Ledger, Login,
    NewSubAccount, Password, SessionGrant, SessionPolicy, SetPasswordError, SignInError,
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

/// A ledger on a fresh database with the worked example, reading time from a manual clock.
async fn with_manual_clock() -> (TestDatabase, Ledger, Clock) {
    let db = TestDatabase::new().await;
    let clock = Clock::manual(1_800_000_000_000);
    let ledger = db.ledger().await.with_clock(clock.clone());
    worked_example(&ledger).await;
    (db, ledger, clock)
}

async fn fail(ledger: &Ledger, login: &str, address: &str) {
    let error = ledger
        .sign_in(login, "a wrong guess", address)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SignInError::WrongCredentials),
        "{login} from {address}: {error:?}"
    );
}

/// Signs in with the right password and tells whether it was let through or asked to wait.
async fn admitted(ledger: &Ledger, login: &str, address: &str) -> Result<(), Duration> {
    match ledger.sign_in(login, DEMO_PASSWORD, address).await {
        Ok(_) => Ok(()),
        Err(SignInError::Throttled { retry_after }) => Err(retry_after),
        Err(other) => panic!("{login} from {address}: {other:?}"),
    }
}

#[tokio::test]
async fn five_failures_for_a_login_from_one_address_make_that_pair_wait_and_no_other() {
    let (_db, ledger, clock) = with_manual_clock().await;
    for _ in 0..PAIR_FAILURES {
        fail(&ledger, "direct", "10.0.1.1").await;
    }

    let wait = admitted(&ledger, "direct", "10.0.1.1").await.unwrap_err();
    assert!(wait <= FAILURE_WINDOW && wait > Duration::from_secs(14 * 60));
    admitted(&ledger, "direct", "10.0.1.2")
        .await
        .expect("the same login from another address");
    admitted(&ledger, "reseller1", "10.0.1.1")
        .await
        .expect("another login from the same address");

    clock.advance(FAILURE_WINDOW);
    admitted(&ledger, "direct", "10.0.1.1")
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn twenty_failures_from_an_address_make_it_wait_for_every_login() {
    let (_db, ledger, clock) = with_manual_clock().await;
    // One guess per login, so that no pair reaches its own limit.
    for guess in 0..ADDRESS_FAILURES - 1 {
        fail(&ledger, &format!("guess{guess}"), "10.0.0.66").await;
    }
    admitted(&ledger, "reseller1", "10.0.0.66")
        .await
        .expect("below the address's limit");
    fail(&ledger, "one-more", "10.0.0.66").await;

    for login in ["reseller1", "reseller2", "nobody"] {
        let refused = ledger
            .sign_in(login, DEMO_PASSWORD, "10.0.0.66")
            .await
            .unwrap_err();
        assert!(
            matches!(refused, SignInError::Throttled { .. }),
            "{login}: {refused:?}"
        );
    }
    admitted(&ledger, "reseller1", "10.0.0.7")
        .await
        .expect("other addresses are unaffected");

    clock.advance(FAILURE_WINDOW);
    admitted(&ledger, "reseller1", "10.0.0.66")
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn strangers_guessing_a_login_make_unknown_addresses_wait_but_not_the_owners_own() {
    let (_db, ledger, clock) = with_manual_clock().await;
    admitted(&ledger, "direct", "10.0.0.1")
        .await
        .expect("the owner signs in from home");
    // A botnet: one guess from each address, so that no pair and no address reaches its limit.
    for stranger in 0..UNKNOWN_ADDRESS_FAILURES - 1 {
        fail(&ledger, "direct", &format!("198.51.100.{stranger}")).await;
    }
    admitted(&ledger, "direct", "10.0.0.2")
        .await
        .expect("below the login's limit for unknown addresses");
    fail(&ledger, "direct", "198.51.100.200").await;

    let wait = admitted(&ledger, "direct", "10.0.0.3").await.unwrap_err();
    assert!(wait <= FAILURE_WINDOW, "{wait:?}");
    for known in ["10.0.0.1", "10.0.0.2"] {
        admitted(&ledger, "direct", known)
            .await
            .expect("an address that signed in before is not locked out");
    }
    admitted(&ledger, "reseller1", "10.0.0.3")
        .await
        .expect("other logins are unaffected");

    clock.advance(FAILURE_WINDOW);
    admitted(&ledger, "direct", "10.0.0.3")
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn a_known_address_keeps_its_own_pair_limit() {
    let (_db, ledger, clock) = with_manual_clock().await;
    admitted(&ledger, "direct", "10.0.0.1").await.unwrap();
    clock.advance(Duration::from_secs(1));
    for _ in 0..PAIR_FAILURES {
        fail(&ledger, "direct", "10.0.0.1").await;
    }

    assert!(admitted(&ledger, "direct", "10.0.0.1").await.is_err());
}

#[tokio::test]
async fn an_address_stays_known_for_thirty_days_after_its_last_sign_in() {
    let (_db, ledger, clock) = with_manual_clock().await;
    admitted(&ledger, "direct", "10.0.0.1").await.unwrap();
    clock.advance(KNOWN_ADDRESS_FOR);
    for stranger in 0..UNKNOWN_ADDRESS_FAILURES {
        fail(&ledger, "direct", &format!("198.51.100.{stranger}")).await;
    }

    assert!(
        admitted(&ledger, "direct", "10.0.0.1").await.is_err(),
        "thirty days without a sign-in: unknown again"
    );
}

#[tokio::test]
async fn a_successful_sign_in_forgives_the_failures_of_its_own_address_before_it() {
    let (_db, ledger, clock) = with_manual_clock().await;
    for _ in 0..PAIR_FAILURES - 1 {
        fail(&ledger, "direct", "10.0.0.1").await;
    }
    admitted(&ledger, "direct", "10.0.0.1").await.unwrap();
    clock.advance(Duration::from_secs(1));
    for _ in 0..PAIR_FAILURES - 1 {
        fail(&ledger, "direct", "10.0.0.1").await;
    }

    admitted(&ledger, "direct", "10.0.0.1")
        .await
        .expect("four failures since the success");
}

#[tokio::test]
async fn a_password_reset_while_a_sign_in_is_in_flight_leaves_it_without_a_session() {
    let (db, ledger, _) = with_worked_example().await;
    let reset = async {
        ledger
            .set_password(
                &operator(),
                &Login::parse("direct").unwrap(),
                &Password::parse("battery staple").unwrap(),
            )
            .await
            .unwrap();
    };

    let late = sign_in_interrupted(&ledger, "direct", reset).await;

    assert!(
        matches!(late, Err(SignInError::WrongCredentials)),
        "{late:?}"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&mut db.raw_connection().await)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
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
            absolute: Duration::from_secs(24 * 3600),
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
async fn a_session_ends_after_its_absolute_lifetime_however_often_it_is_used() {
    let db = TestDatabase::new().await;
    let clock = Clock::manual(1_800_000_000_000);
    let policy = SessionPolicy {
        idle: Duration::from_secs(3600),
        absolute: Duration::from_secs(4 * 3600),
    };
    let ledger = db
        .ledger()
        .await
        .with_clock(clock.clone())
        .with_session_policy(policy);
    worked_example(&ledger).await;
    let grant = sign_in(&ledger, "direct").await;

    let step = Duration::from_secs(40 * 60);
    let mut used_for = Duration::ZERO;
    while used_for + step < policy.absolute {
        clock.advance(step);
        used_for += step;
        let active = ledger.session(&grant.token).await.unwrap();
        let active = active.unwrap_or_else(|| panic!("alive after {used_for:?} of use"));
        assert!(
            active.lifetime <= policy.absolute - used_for,
            "the cookie never outlives the session: {:?} after {used_for:?}",
            active.lifetime
        );
    }
    clock.advance(step);
    assert!(
        ledger.session(&grant.token).await.unwrap().is_none(),
        "four hours after signing in: ended although used every 40 minutes"
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

/// Changes `login`'s password from the demo one, from the session `grant`, as the user would.
async fn change_password(
    ledger: &Ledger,
    grant: &SessionGrant,
    current: &str,
    new: &str,
) -> Result<(), ChangePasswordError> {
    ledger
        .change_password(
            &Actor::from(&grant.signed_in),
            &grant.token,
            current,
            &Password::parse(new).unwrap(),
            TEST_ADDRESS,
        )
        .await
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one() {
    let (_db, ledger, _) = with_worked_example().await;
    let grant = sign_in(&ledger, "direct").await;

    let refused = change_password(&ledger, &grant, "not the password", "battery staple").await;

    assert!(
        matches!(refused, Err(ChangePasswordError::WrongPassword)),
        "{refused:?}"
    );
    sign_in(&ledger, "direct").await;
    assert!(ledger.session(&grant.token).await.unwrap().is_some());
}

#[tokio::test]
async fn changing_ones_password_ends_ones_other_sessions_and_keeps_this_one() {
    let (_db, ledger, _) = with_worked_example().await;
    let laptop = sign_in(&ledger, "direct").await;
    let phone = sign_in(&ledger, "direct").await;
    let someone_else = sign_in(&ledger, "reseller1").await;

    change_password(&ledger, &laptop, DEMO_PASSWORD, "battery staple")
        .await
        .unwrap();

    assert!(ledger.session(&laptop.token).await.unwrap().is_some());
    assert!(ledger.session(&phone.token).await.unwrap().is_none());
    assert!(
        ledger.session(&someone_else.token).await.unwrap().is_some(),
        "another user's session is untouched"
    );
    let old = ledger
        .sign_in("direct", DEMO_PASSWORD, TEST_ADDRESS)
        .await
        .unwrap_err();
    assert!(matches!(old, SignInError::WrongCredentials), "{old:?}");
    ledger
        .sign_in("direct", "battery staple", TEST_ADDRESS)
        .await
        .expect("the new password signs in");
}

#[tokio::test]
async fn a_new_password_differs_from_the_current_one() {
    let (_db, ledger, _) = with_worked_example().await;
    let grant = sign_in(&ledger, "direct").await;

    let same = change_password(&ledger, &grant, DEMO_PASSWORD, DEMO_PASSWORD).await;

    assert!(
        matches!(same, Err(ChangePasswordError::SamePassword)),
        "{same:?}"
    );
}

#[tokio::test]
async fn wrong_current_passwords_count_like_failed_sign_ins() {
    let (_db, ledger, _) = with_worked_example().await;
    let grant = sign_in(&ledger, "direct").await;
    for _ in 0..PAIR_FAILURES - 1 {
        change_password(&ledger, &grant, "a wrong guess", "battery staple")
            .await
            .unwrap_err();
    }
    fail(&ledger, "direct", TEST_ADDRESS).await;

    let throttled = change_password(&ledger, &grant, DEMO_PASSWORD, "battery staple").await;

    assert!(
        matches!(throttled, Err(ChangePasswordError::Throttled { .. })),
        "{throttled:?}"
    );
}

#[tokio::test]
async fn a_password_someone_else_set_must_be_changed_and_changing_it_clears_that() {
    let (_db, ledger, example) = with_worked_example().await;
    assert!(
        !sign_in(&ledger, "direct")
            .await
            .signed_in
            .must_change_password,
        "the demo's users keep the password the README prints"
    );
    let by_parent = NewSubAccount {
        kind: AccountKind::Customer,
        name: AccountName::parse("Fresh").unwrap(),
        login: Login::parse("fresh").unwrap(),
        password: Password::parse("from the parent").unwrap(),
    };
    ledger
        .open_sub_account(&example.direct, &by_parent)
        .await
        .unwrap();

    let first = ledger
        .sign_in("fresh", "from the parent", TEST_ADDRESS)
        .await
        .unwrap();
    assert!(first.signed_in.must_change_password);
    let active = ledger.session(&first.token).await.unwrap().unwrap();
    assert!(active.signed_in.must_change_password);

    change_password(&ledger, &first, "from the parent", "only mine now")
        .await
        .unwrap();
    let active = ledger.session(&first.token).await.unwrap().unwrap();
    assert!(!active.signed_in.must_change_password);
    let again = ledger
        .sign_in("fresh", "only mine now", TEST_ADDRESS)
        .await
        .unwrap();
    assert!(!again.signed_in.must_change_password);

    ledger
        .set_password(
            &operator(),
            &Login::parse("fresh").unwrap(),
            &Password::parse("from the operator").unwrap(),
        )
        .await
        .unwrap();
    let reset = ledger
        .sign_in("fresh", "from the operator", TEST_ADDRESS)
        .await
        .unwrap();
    assert!(reset.signed_in.must_change_password);
}

#[tokio::test]
async fn a_direct_reseller_opened_by_an_operator_changes_its_password_first() {
    let (_db, ledger, _) = with_worked_example().await;
    ledger
        .open_direct_reseller(
            &operator(),
            &AccountName::parse("Acme Telecom").unwrap(),
            &Login::parse("acme").unwrap(),
            &Password::parse("from the operator").unwrap(),
        )
        .await
        .unwrap();

    let first = ledger
        .sign_in("acme", "from the operator", TEST_ADDRESS)
        .await
        .unwrap();

    assert!(first.signed_in.must_change_password);
}
