//! Users, sessions, throttling and sub-account management, against a real database.

use std::time::Duration;

use ledger::sessions::{FAILURE_WINDOW, MAX_FAILURES};
use ledger::testing::TestDatabase;
use ledger::{
    AccountId, AccountKind, AccountName, AccountStatus, Actor, Clock, Credits, IdempotencyKey,
    Ledger, Login, ManageError, Note, OpenAccountError, Password, SessionPolicy, SetPasswordError,
    SignInError, TransferError, TransferRequest,
};

const PASSWORD: &str = "correct horse";

async fn open(
    ledger: &Ledger,
    parent: AccountId,
    kind: AccountKind,
    name: &str,
    login: &str,
) -> AccountId {
    ledger
        .open_account(
            parent,
            kind,
            &AccountName::parse(name).unwrap(),
            &Login::parse(login).unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap()
        .account
        .id
}

/// A ledger on a hand-moved clock with one direct reseller ("direct") and its reseller ("reseller").
async fn setup(db: &TestDatabase) -> (Ledger, Clock, AccountId, AccountId) {
    let clock = Clock::manual(1_800_000_000_000);
    let ledger = db
        .ledger()
        .await
        .with_clock(clock.clone())
        .with_session_policy(SessionPolicy {
            idle: Duration::from_secs(3600),
        });
    let direct = open(
        &ledger,
        ledger.platform_id(),
        AccountKind::DirectReseller,
        "Direct",
        "direct",
    )
    .await;
    let reseller = open(
        &ledger,
        direct,
        AccountKind::Reseller,
        "Reseller",
        "reseller",
    )
    .await;
    (ledger, clock, direct, reseller)
}

#[tokio::test]
async fn the_right_password_opens_a_session_for_the_login_in_any_case() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, _) = setup(&db).await;

    let grant = ledger
        .sign_in("  DIRECT ", PASSWORD, "10.0.0.1")
        .await
        .unwrap();

    assert_eq!(grant.signed_in.account, direct);
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
async fn a_wrong_password_or_unknown_login_is_refused_alike() {
    let db = TestDatabase::new().await;
    let (ledger, ..) = setup(&db).await;
    for (login, password) in [("direct", "wrong password"), ("nobody", PASSWORD)] {
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
    let (ledger, clock, ..) = setup(&db).await;
    for attempt in 0..MAX_FAILURES {
        // From a different address each time: the login's own count locks it.
        let address = format!("10.0.1.{attempt}");
        assert!(matches!(
            ledger
                .sign_in("direct", "guess", &address)
                .await
                .unwrap_err(),
            SignInError::WrongCredentials
        ));
    }

    let locked = ledger
        .sign_in("direct", PASSWORD, "10.9.9.9")
        .await
        .unwrap_err();
    let SignInError::Throttled { retry_after } = locked else {
        panic!("expected Throttled, got {locked:?}")
    };
    assert!(retry_after <= FAILURE_WINDOW && retry_after > Duration::from_secs(14 * 60));
    ledger
        .sign_in("reseller", PASSWORD, "10.9.9.9")
        .await
        .expect("another login is unaffected");

    clock.advance(FAILURE_WINDOW);
    ledger
        .sign_in("direct", PASSWORD, "10.9.9.9")
        .await
        .expect("the window has passed");
}

#[tokio::test]
async fn five_failures_from_an_address_lock_that_address_only() {
    let db = TestDatabase::new().await;
    let (ledger, ..) = setup(&db).await;
    for attempt in 0..MAX_FAILURES {
        let login = format!("guess{attempt}");
        ledger
            .sign_in(&login, "guess", "10.0.0.66")
            .await
            .unwrap_err();
    }

    let refused = ledger
        .sign_in("reseller", PASSWORD, "10.0.0.66")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SignInError::Throttled { .. }),
        "{refused:?}"
    );
    ledger
        .sign_in("reseller", PASSWORD, "10.0.0.7")
        .await
        .expect("other addresses are unaffected");
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_logins_failures() {
    let db = TestDatabase::new().await;
    let (ledger, ..) = setup(&db).await;
    for _ in 0..MAX_FAILURES - 1 {
        ledger
            .sign_in("direct", "guess", "10.0.0.1")
            .await
            .unwrap_err();
    }
    ledger
        .sign_in("direct", PASSWORD, "10.0.0.2")
        .await
        .unwrap();
    ledger
        .sign_in("direct", "one more typo", "10.0.0.3")
        .await
        .unwrap_err();
    ledger
        .sign_in("direct", PASSWORD, "10.0.0.4")
        .await
        .expect("one failure since the success");
}

#[tokio::test]
async fn a_session_expires_after_the_idle_time_and_slides_while_used() {
    let db = TestDatabase::new().await;
    let (ledger, clock, ..) = setup(&db).await;
    let grant = ledger
        .sign_in("direct", PASSWORD, "10.0.0.1")
        .await
        .unwrap();

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
    let db = TestDatabase::new().await;
    let (ledger, ..) = setup(&db).await;
    let grant = ledger
        .sign_in("direct", PASSWORD, "10.0.0.1")
        .await
        .unwrap();
    let other_device = ledger
        .sign_in("direct", PASSWORD, "10.0.0.2")
        .await
        .unwrap();

    ledger.sign_out(&grant.token).await.unwrap();

    assert!(ledger.session(&grant.token).await.unwrap().is_none());
    assert!(
        ledger.session(&other_device.token).await.unwrap().is_some(),
        "only that session"
    );
}

#[tokio::test]
async fn a_suspended_account_cannot_sign_in_and_its_sessions_end() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, reseller) = setup(&db).await;
    let grant = ledger
        .sign_in("reseller", PASSWORD, "10.0.0.1")
        .await
        .unwrap();

    ledger
        .set_sub_account_status(direct, reseller, AccountStatus::Suspended)
        .await
        .unwrap();

    assert!(ledger.session(&grant.token).await.unwrap().is_none());
    let refused = ledger
        .sign_in("reseller", PASSWORD, "10.0.0.1")
        .await
        .unwrap_err();
    assert!(matches!(refused, SignInError::Suspended), "{refused:?}");

    ledger
        .set_sub_account_status(direct, reseller, AccountStatus::Active)
        .await
        .unwrap();
    ledger
        .sign_in("reseller", PASSWORD, "10.0.0.1")
        .await
        .expect("reactivated");
}

#[tokio::test]
async fn a_suspended_sub_account_receives_nothing_but_can_be_revoked_from() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, reseller) = setup(&db).await;
    ledger
        .top_up(
            "op",
            direct,
            Credits::new(50).unwrap(),
            &Note::parse("t").unwrap(),
            &IdempotencyKey::generate(),
        )
        .await
        .unwrap();
    let actor = Actor {
        account: direct,
        name: "direct".into(),
    };
    let request = |n| TransferRequest {
        sub_account: reseller,
        credits: Credits::new(n).unwrap(),
        note: Note::parse("t").unwrap(),
        key: IdempotencyKey::generate(),
    };
    ledger.grant(&actor, &request(20)).await.unwrap();
    ledger
        .set_sub_account_status(direct, reseller, AccountStatus::Suspended)
        .await
        .unwrap();

    let refused = ledger.grant(&actor, &request(5)).await.unwrap_err();
    assert!(
        matches!(refused, TransferError::Suspended { ref name } if name == "Reseller"),
        "{refused:?}"
    );
    let revoked = ledger.revoke(&actor, &request(20)).await.unwrap();
    assert_eq!(
        (revoked.from_balance_after, revoked.to_balance_after),
        (0, 50)
    );
    assert!(ledger.verify().await.unwrap().is_clean());
}

#[tokio::test]
async fn a_new_password_replaces_the_old_and_ends_sessions() {
    let db = TestDatabase::new().await;
    let (ledger, ..) = setup(&db).await;
    let grant = ledger
        .sign_in("direct", PASSWORD, "10.0.0.1")
        .await
        .unwrap();

    let login = Login::parse("direct").unwrap();
    ledger
        .set_password(&login, &Password::parse("battery staple").unwrap())
        .await
        .unwrap();

    assert!(ledger.session(&grant.token).await.unwrap().is_none());
    assert!(
        ledger
            .sign_in("direct", PASSWORD, "10.0.0.1")
            .await
            .is_err()
    );
    ledger
        .sign_in("direct", "battery staple", "10.0.0.1")
        .await
        .unwrap();
    let unknown = ledger
        .set_password(
            &Login::parse("nobody").unwrap(),
            &Password::parse("whatever1").unwrap(),
        )
        .await;
    assert!(matches!(unknown, Err(SetPasswordError::UnknownLogin)));
}

#[tokio::test]
async fn logins_are_unique_regardless_of_case_and_a_refused_account_is_not_half_made() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, _) = setup(&db).await;
    let before = ledger.count_accounts().await.unwrap();

    let taken = ledger
        .open_account(
            direct,
            AccountKind::Customer,
            &AccountName::parse("Copycat").unwrap(),
            &Login::parse("RESELLER").unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap_err();

    assert!(matches!(taken, OpenAccountError::LoginTaken), "{taken:?}");
    assert_eq!(
        ledger.count_accounts().await.unwrap(),
        before,
        "no account without its user"
    );
}

#[tokio::test]
async fn only_the_parent_renames_or_suspends_a_sub_account() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, reseller) = setup(&db).await;
    let customer = open(
        &ledger,
        reseller,
        AccountKind::Customer,
        "Customer",
        "customer",
    )
    .await;
    let name = AccountName::parse("Renamed").unwrap();

    let renamed = ledger
        .rename_sub_account(direct, reseller, &name)
        .await
        .unwrap();
    assert_eq!(
        (renamed.account.name.as_str(), renamed.login.as_deref()),
        ("Renamed", Some("reseller"))
    );

    for (parent, target) in [
        (direct, customer),
        (reseller, direct),
        (customer, customer),
        (direct, AccountId(424_242)),
    ] {
        let rename = ledger
            .rename_sub_account(parent, target, &name)
            .await
            .unwrap_err();
        let suspend = ledger
            .set_sub_account_status(parent, target, AccountStatus::Suspended)
            .await
            .unwrap_err();
        assert!(matches!(rename, ManageError::SubAccountNotFound));
        assert!(matches!(suspend, ManageError::SubAccountNotFound));
    }
}

#[tokio::test]
async fn an_account_may_read_itself_and_everything_below_it_only() {
    let db = TestDatabase::new().await;
    let (ledger, _, direct, reseller) = setup(&db).await;
    let customer = open(
        &ledger,
        reseller,
        AccountKind::Customer,
        "Customer",
        "customer",
    )
    .await;
    let stranger = open(
        &ledger,
        ledger.platform_id(),
        AccountKind::DirectReseller,
        "Stranger",
        "stranger",
    )
    .await;

    for (viewer, target, expected) in [
        (direct, direct, true),
        (direct, reseller, true),
        (direct, customer, true),
        (reseller, customer, true),
        (reseller, direct, false),
        (customer, reseller, false),
        (stranger, customer, false),
        (direct, stranger, false),
        (direct, AccountId(424_242), false),
    ] {
        assert_eq!(
            ledger.is_self_or_descendant(viewer, target).await.unwrap(),
            expected,
            "{viewer} reads {target}"
        );
    }
}
