//! Opening, renaming and suspending sub-accounts: what a parent may do to its children, and what no
//! one may do to anyone else's. Against a real database, starting from the worked example.

use ledger::testing::{
    actor, assert_verified, balance, neighbours, open, operator, sign_in, transfer_request,
    with_worked_example,
};
use ledger::{
    AccountId, AccountKind, AccountName, AccountStatus, DEMO_PASSWORD, Login, ManageError,
    NewSubAccount, OpenAccountError, Password, SignInError, TransferError,
};

/// What a parent fills in to open a sub-account (a value, not an action: opening is the ledger's).
fn new_sub_account(kind: AccountKind, name: &str, login: &str) -> NewSubAccount {
    NewSubAccount {
        kind,
        name: AccountName::parse(name).unwrap(),
        login: Login::parse(login).unwrap(),
        password: Password::parse("correct horse").unwrap(),
    }
}

#[tokio::test]
async fn a_reseller_opens_resellers_and_customers_below_itself_at_zero_credits() {
    let (_db, ledger, example) = with_worked_example().await;
    let reseller_one = actor(&ledger, "reseller1").await;

    let mut opened = Vec::new();
    for (kind, name, login) in [
        (AccountKind::Customer, "Acme", "acme"),
        (AccountKind::Reseller, "Beta Resale", "beta"),
    ] {
        let account = new_sub_account(kind, name, login);
        let sub = ledger
            .open_sub_account(&reseller_one, &account)
            .await
            .unwrap();

        assert_eq!(
            (
                sub.account.kind,
                sub.account.parent_id,
                sub.login.as_deref()
            ),
            (kind, Some(example.reseller_one), Some(login))
        );
        assert_eq!(
            (sub.account.balance, sub.account.status),
            (0, AccountStatus::Active)
        );
        let session = ledger
            .sign_in(login, "correct horse", "10.0.0.1")
            .await
            .unwrap();
        assert_eq!(session.signed_in.account, sub.account.id);
        opened.push(sub);
    }
    assert_eq!(ledger.sub_accounts(&reseller_one).await.unwrap(), opened);
    assert_eq!(
        ledger.sub_accounts(&example.direct).await.unwrap().len(),
        3,
        "only below reseller1"
    );
}

#[tokio::test]
async fn a_customer_may_not_open_sub_accounts() {
    let (_db, ledger, _) = with_worked_example().await;
    let customer_one = actor(&ledger, "customer1").await;

    for kind in [AccountKind::Customer, AccountKind::Reseller] {
        let account = new_sub_account(kind, "Nope", "nope");
        let error = ledger
            .open_sub_account(&customer_one, &account)
            .await
            .unwrap_err();
        assert!(matches!(error, OpenAccountError::NotAReseller), "{error:?}");
    }
    let nope = Login::parse("nope").unwrap();
    assert_eq!(
        ledger.account_by_login(&operator(), &nope).await.unwrap(),
        None
    );
    assert_eq!(ledger.verify(&operator()).await.unwrap().accounts, 5);
}

#[tokio::test]
async fn a_reseller_may_not_open_a_direct_reseller_or_a_platform() {
    let (_db, ledger, example) = with_worked_example().await;
    let reseller_one = actor(&ledger, "reseller1").await;

    for parent in [&example.direct, &reseller_one] {
        for child in [AccountKind::DirectReseller, AccountKind::Platform] {
            let account = new_sub_account(child, "Nope", "nope");
            let error = ledger.open_sub_account(parent, &account).await.unwrap_err();
            assert!(
                matches!(
                    error,
                    OpenAccountError::KindNotAllowed { parent: p, child: c }
                        if p == parent.kind() && c == child
                ),
                "{} opens a {}: {error:?}",
                parent.name(),
                child.as_str()
            );
        }
    }
    let names: Vec<_> = ledger
        .sub_accounts(&example.direct)
        .await
        .unwrap()
        .into_iter()
        .map(|sub| sub.account.name)
        .collect();
    assert_eq!(names, ["Customer One", "Reseller One", "Reseller Two"]);
    assert_eq!(ledger.verify(&operator()).await.unwrap().accounts, 5);
}

#[tokio::test]
async fn a_taken_login_in_any_case_is_refused_and_leaves_no_half_made_account() {
    let (_db, ledger, example) = with_worked_example().await;

    let copycat = new_sub_account(AccountKind::Customer, "Copycat", "RESELLER1");
    let taken = ledger
        .open_sub_account(&example.direct, &copycat)
        .await
        .unwrap_err();
    let taken_by_operator = ledger
        .open_direct_reseller(
            &operator(),
            &AccountName::parse("Copycat").unwrap(),
            &Login::parse("Customer1").unwrap(),
            &Password::parse(DEMO_PASSWORD).unwrap(),
        )
        .await
        .unwrap_err();

    for error in [taken, taken_by_operator] {
        assert!(matches!(error, OpenAccountError::LoginTaken), "{error:?}");
    }
    assert_eq!(
        ledger.sub_accounts(&example.direct).await.unwrap().len(),
        3,
        "no account without its user"
    );
    assert_eq!(ledger.verify(&operator()).await.unwrap().accounts, 5);
    let reseller1 = Login::parse("reseller1").unwrap();
    let owner = ledger
        .account_by_login(&operator(), &reseller1)
        .await
        .unwrap();
    assert_eq!(owner.map(|account| account.id), Some(example.reseller_one));
}

#[tokio::test]
async fn only_the_parent_renames_or_suspends_a_sub_account() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    let n = neighbours(&ledger).await;
    let name = AccountName::parse("Renamed").unwrap();

    let renamed = ledger
        .rename_sub_account(direct, example.reseller_one, &name)
        .await
        .unwrap();
    assert_eq!(
        (renamed.account.name.as_str(), renamed.login.as_deref()),
        ("Renamed", Some("reseller1"))
    );

    for (parent, target) in [
        (direct, n.grandchild.account()),
        (direct, n.stranger.account()),
        (direct, n.strangers_customer.account()),
        (direct, direct.account()),
        (direct, AccountId(424_242)),
        (&n.reseller_one, direct.account()),
        (&n.reseller_one, example.reseller_two),
        (&n.customer_one, n.customer_one.account()),
        (&n.stranger, example.customer_one),
    ] {
        let rename = ledger
            .rename_sub_account(parent, target, &name)
            .await
            .unwrap_err();
        let suspend = ledger
            .set_sub_account_status(parent, target, AccountStatus::Suspended)
            .await
            .unwrap_err();
        let who = parent.name();
        assert!(
            matches!(rename, ManageError::SubAccountNotFound),
            "{who} renames {target}: {rename:?}"
        );
        assert!(
            matches!(suspend, ManageError::SubAccountNotFound),
            "{who} suspends {target}: {suspend:?}"
        );
    }
    for target in [
        direct,
        &n.customer_one,
        &n.grandchild,
        &n.stranger,
        &n.strangers_customer,
    ] {
        let account = ledger.own_account(target).await.unwrap();
        assert_ne!(account.name, "Renamed");
        assert_eq!(account.status, AccountStatus::Active);
    }
}

#[tokio::test]
async fn a_suspended_account_cannot_sign_in_and_its_sessions_end() {
    let (_db, ledger, example) = with_worked_example().await;
    let session = sign_in(&ledger, "reseller1").await;

    let suspended = ledger
        .set_sub_account_status(
            &example.direct,
            example.reseller_one,
            AccountStatus::Suspended,
        )
        .await
        .unwrap();

    assert_eq!(suspended.account.status, AccountStatus::Suspended);
    assert!(ledger.session(&session.token).await.unwrap().is_none());
    let refused = ledger
        .sign_in("reseller1", DEMO_PASSWORD, "10.0.0.1")
        .await
        .unwrap_err();
    assert!(matches!(refused, SignInError::Suspended), "{refused:?}");

    let reactivated = ledger
        .set_sub_account_status(&example.direct, example.reseller_one, AccountStatus::Active)
        .await
        .unwrap();
    assert_eq!(reactivated.account.status, AccountStatus::Active);
    sign_in(&ledger, "reseller1").await;
}

#[tokio::test]
async fn a_suspended_sub_account_receives_nothing_but_can_be_revoked_from() {
    let (_db, ledger, example) = with_worked_example().await;
    let (direct, reseller_one) = (&example.direct, example.reseller_one);
    ledger
        .grant(direct, &transfer_request(reseller_one, 20))
        .await
        .unwrap();
    ledger
        .set_sub_account_status(direct, reseller_one, AccountStatus::Suspended)
        .await
        .unwrap();

    let refused = ledger
        .grant(direct, &transfer_request(reseller_one, 5))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, TransferError::Suspended { ref name } if name == "Reseller One"),
        "{refused:?}"
    );
    let revoked = ledger
        .revoke(direct, &transfer_request(reseller_one, 20))
        .await
        .unwrap();
    assert_eq!(
        (revoked.from_balance_after, revoked.to_balance_after),
        (0, 100)
    );
    assert_eq!(balance(&ledger, reseller_one).await, 0);
    assert_verified(&ledger).await;
}

#[tokio::test]
async fn suspending_a_reseller_stops_its_whole_subtree_until_it_is_reactivated() {
    let (_db, ledger, example) = with_worked_example().await;
    let direct = &example.direct;
    // direct → Reseller One → Sub Reseller → Sub Customer, with credits all the way down.
    let reseller_one = actor(&ledger, "reseller1").await;
    let sub_reseller = open(
        &ledger,
        &reseller_one,
        AccountKind::Reseller,
        "Sub Reseller",
        "subreseller",
    )
    .await;
    let sub_customer = open(
        &ledger,
        &sub_reseller,
        AccountKind::Customer,
        "Sub Customer",
        "subcustomer",
    )
    .await;
    let (sub_reseller_id, sub_customer_id) = (sub_reseller.account(), sub_customer.account());
    for (from, to, credits) in [
        (direct, reseller_one.account(), 50),
        (&reseller_one, sub_reseller_id, 20),
        (&sub_reseller, sub_customer_id, 5),
    ] {
        ledger
            .grant(from, &transfer_request(to, credits))
            .await
            .unwrap();
    }
    let old_session = sign_in(&ledger, "subreseller").await;

    ledger
        .set_sub_account_status(direct, reseller_one.account(), AccountStatus::Suspended)
        .await
        .unwrap();

    // Below the suspended reseller no one signs in, and sessions from before are dead.
    assert!(ledger.session(&old_session.token).await.unwrap().is_none());
    for login in ["reseller1", "subreseller", "subcustomer"] {
        let refused = ledger
            .sign_in(login, DEMO_PASSWORD, "10.0.0.1")
            .await
            .unwrap_err();
        assert!(
            matches!(refused, SignInError::Suspended),
            "{login}: {refused:?}"
        );
    }
    // A request already past the session check is stopped by the ledger itself: nothing goes
    // down from the subtree, and nothing comes up into it.
    let refusals = [
        ledger
            .grant(&sub_reseller, &transfer_request(sub_customer_id, 1))
            .await,
        ledger
            .revoke(&sub_reseller, &transfer_request(sub_customer_id, 1))
            .await,
        ledger
            .grant(&reseller_one, &transfer_request(sub_reseller_id, 1))
            .await,
        ledger
            .revoke(&reseller_one, &transfer_request(sub_reseller_id, 1))
            .await,
    ];
    for refusal in refusals {
        assert!(
            matches!(refusal, Err(TransferError::OwnAccountSuspended)),
            "{refusal:?}"
        );
    }
    let renamed = ledger
        .rename_sub_account(
            &sub_reseller,
            sub_customer_id,
            &AccountName::parse("Renamed").unwrap(),
        )
        .await;
    assert!(
        matches!(renamed, Err(ManageError::OwnAccountSuspended)),
        "{renamed:?}"
    );
    let suspended = ledger
        .set_sub_account_status(&sub_reseller, sub_customer_id, AccountStatus::Suspended)
        .await;
    assert!(
        matches!(suspended, Err(ManageError::OwnAccountSuspended)),
        "{suspended:?}"
    );
    let opened = ledger
        .open_sub_account(
            &sub_reseller,
            &new_sub_account(AccountKind::Customer, "Late", "late"),
        )
        .await;
    assert!(
        matches!(opened, Err(OpenAccountError::OwnAccountSuspended)),
        "{opened:?}"
    );
    // The suspender still takes credits back from its suspended child.
    let revoked = ledger
        .revoke(direct, &transfer_request(reseller_one.account(), 30))
        .await
        .unwrap();
    assert_eq!(revoked.from_balance_after, 0);

    ledger
        .set_sub_account_status(direct, reseller_one.account(), AccountStatus::Active)
        .await
        .unwrap();

    assert!(
        ledger.session(&old_session.token).await.unwrap().is_none(),
        "sessions ended by the suspension stay ended"
    );
    let new_session = sign_in(&ledger, "subreseller").await;
    assert!(ledger.session(&new_session.token).await.unwrap().is_some());
    ledger
        .grant(&sub_reseller, &transfer_request(sub_customer_id, 1))
        .await
        .unwrap();
    assert_eq!(
        (
            balance(&ledger, sub_reseller_id).await,
            balance(&ledger, sub_customer_id).await
        ),
        (14, 6)
    );
    assert_verified(&ledger).await;
}
