//! Signing in and out over HTTP: the cookie, page redirects, logout, suspension, throttling, and
//! changing one's password.

mod support;

use app::error::AppError;
use app::model::{AccountKind, AccountStatus, NewSubAccount, PasswordChange};
use app::server_fns::{
    ChangePassword, CreateSubAccount, MyAccount, SetSubAccountStatus, SignIn, SignOut,
};
use ledger::DEMO_PASSWORD;
use ledger::testing;
use leptos::server_fn::Decodes;
use leptos::server_fn::codec::PostcardEncoding;
use support::{Browser, TestApp, demo_sign_in, own_transfers, session_cookie};

#[tokio::test]
async fn signing_in_sets_an_http_only_lax_cookie_and_lands_by_account_kind() {
    let app = TestApp::spawn().await;
    let response = app
        .browser()
        .request(&demo_sign_in("direct"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let landing: String = PostcardEncoding::decode(response.bytes().await.unwrap()).unwrap();

    assert_eq!(landing, "/reseller/customers");
    assert!(cookie.starts_with("creditdesk_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let customer = app.browser().call(demo_sign_in("customer1")).await.unwrap();
    assert_eq!(customer, "/account");
}

#[tokio::test]
async fn pages_need_a_session_and_a_signed_in_user_skips_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let anonymous = app.browser();
    for path in ["/", "/reseller/customers", "/account", "/no-such-page"] {
        assert_eq!(
            anonymous.get(path).await,
            (303, Some("/sign-in".to_owned())),
            "{path}"
        );
    }
    assert_eq!(anonymous.get("/sign-in").await.0, 200);

    let direct = app.signed_in("direct").await;
    assert_eq!(
        direct.get("/").await,
        (303, Some("/reseller/customers".to_owned()))
    );
    assert_eq!(
        direct.get("/sign-in").await,
        (303, Some("/reseller/customers".to_owned()))
    );
    assert_eq!(direct.get("/reseller/customers").await.0, 200);
    let customer = app.signed_in("customer1").await;
    assert_eq!(customer.get("/").await, (303, Some("/account".to_owned())));
}

#[tokio::test]
async fn signing_out_invalidates_the_token_even_if_replayed() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let cookie = session_cookie(&app.base_url, "direct").await;
    let replayed = Browser::with_cookie(&app.base_url, &cookie);

    direct.call(SignOut {}).await.unwrap();
    let after = direct.call(MyAccount {}).await;
    assert_eq!(after.unwrap_err().error, AppError::Unauthenticated);

    // The other session (its own cookie) still works until it signs out too.
    replayed
        .call(MyAccount {})
        .await
        .expect("the other session is alive");
    let response = replayed.request(&SignOut {}).send().await.unwrap();
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let dead = replayed.call(MyAccount {}).await.unwrap_err();
    assert_eq!(
        (dead.status, dead.error),
        (401, AppError::Unauthenticated),
        "a replayed token is dead"
    );
}

#[tokio::test]
async fn suspending_an_account_ends_its_sessions_at_once() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let reseller = app.signed_in("reseller1").await;

    direct
        .call(SetSubAccountStatus {
            account_id: app.example.reseller_one.0,
            status: AccountStatus::Suspended,
        })
        .await
        .unwrap();

    let ended = reseller.call(MyAccount {}).await.unwrap_err();
    assert_eq!(ended.error, AppError::Unauthenticated);
    let refused = app
        .browser()
        .call(demo_sign_in("reseller1"))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.status, &refused.error),
        (403, &AppError::AccountSuspended)
    );
    assert_eq!(
        refused.error.to_string(),
        "This account is suspended; ask your reseller to reactivate it"
    );
}

#[tokio::test]
async fn suspending_a_reseller_signs_out_its_whole_subtree_until_reactivated() {
    let app = TestApp::spawn().await;
    let reseller_one = testing::actor(&app.ledger, "reseller1").await;
    testing::open(
        &app.ledger,
        &reseller_one,
        ledger::AccountKind::Customer,
        "Acme",
        "acme",
    )
    .await;
    let direct = app.signed_in("direct").await;
    let customer = app.signed_in("acme").await;
    let set_status = async |status| {
        direct
            .call(SetSubAccountStatus {
                account_id: app.example.reseller_one.0,
                status,
            })
            .await
            .unwrap();
    };

    set_status(AccountStatus::Suspended).await;

    let ended = customer.call(MyAccount {}).await.unwrap_err();
    assert_eq!(
        (ended.status, ended.error),
        (401, AppError::Unauthenticated)
    );
    let refused = app.browser().call(demo_sign_in("acme")).await.unwrap_err();
    assert_eq!(
        (refused.status, refused.error),
        (403, AppError::AccountSuspended)
    );

    set_status(AccountStatus::Active).await;

    let still_ended = customer.call(MyAccount {}).await.unwrap_err();
    assert_eq!(still_ended.error, AppError::Unauthenticated);
    let again = app.signed_in("acme").await;
    assert_eq!(again.call(MyAccount {}).await.unwrap().name, "Acme");
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let attempt = |password: &str| {
        browser.call(SignIn {
            login: "direct".into(),
            password: password.into(),
        })
    };

    for _ in 0..5 {
        let wrong = attempt("not the password").await.unwrap_err();
        assert_eq!(
            (wrong.status, wrong.error.to_string().as_str()),
            (401, "Wrong login or password")
        );
    }
    let throttled = attempt(DEMO_PASSWORD).await.unwrap_err();
    assert_eq!(throttled.status, 429);
    assert_eq!(
        throttled.error.to_string(),
        "Too many failed sign-ins; try again in 15 minutes"
    );
}

/// The "Change password" form, filled in.
fn change_password(current: &str, new: &str, repeat: &str) -> ChangePassword {
    ChangePassword {
        change: PasswordChange {
            current_password: current.into(),
            new_password: new.into(),
            repeat_password: repeat.into(),
        },
    }
}

#[tokio::test]
async fn a_new_sub_accounts_user_is_confined_to_changing_its_password_until_it_does() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let shop = NewSubAccount {
        kind: AccountKind::Customer,
        name: "Fresh Shop".into(),
        login: "fresh".into(),
        password: "from the parent".into(),
    };
    direct
        .call(CreateSubAccount { account: shop })
        .await
        .unwrap();
    let first_sign_in = SignIn {
        login: "fresh".into(),
        password: "from the parent".into(),
    };
    let fresh = app.browser();
    let other_device = app.browser();
    other_device.call(first_sign_in.clone()).await.unwrap();

    let landing = fresh.call(first_sign_in.clone()).await.unwrap();

    assert_eq!(landing, "/change-password");
    for path in [
        "/",
        "/account",
        "/reseller/customers",
        "/sign-in",
        "/nowhere",
    ] {
        assert_eq!(
            fresh.get(path).await,
            (303, Some("/change-password".to_owned())),
            "{path}"
        );
    }
    assert_eq!(fresh.get("/change-password").await.0, 200);
    let me = fresh.call(MyAccount {}).await.expect("the top bar loads");
    assert_eq!(me.login.as_deref(), Some("fresh"));
    let refused = fresh.call(own_transfers()).await.unwrap_err();
    assert_eq!(
        (refused.status, &refused.error),
        (403, &AppError::PasswordChangeRequired)
    );
    assert_eq!(
        refused.error.to_string(),
        "Choose your own password before going on"
    );

    let wrong = fresh
        .call(change_password("not it", "only mine now", "only mine now"))
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.status, wrong.error),
        (403, AppError::WrongCurrentPassword)
    );
    let differ = fresh
        .call(change_password(
            "from the parent",
            "only mine now",
            "only mine n0w",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (differ.status, differ.error),
        (422, AppError::PasswordsDiffer)
    );
    let landing = fresh
        .call(change_password(
            "from the parent",
            "only mine now",
            "only mine now",
        ))
        .await
        .unwrap();

    assert_eq!(landing, "/account");
    assert_eq!(fresh.get("/account").await.0, 200);
    assert_eq!(fresh.get("/").await, (303, Some("/account".to_owned())));
    fresh.call(own_transfers()).await.expect("free to go on");
    let ended = other_device.call(MyAccount {}).await.unwrap_err();
    assert_eq!(ended.error, AppError::Unauthenticated, "its other session");
    let parent = app.browser().call(first_sign_in).await.unwrap_err();
    assert_eq!(
        parent.error,
        AppError::WrongCredentials,
        "the parent's password no longer signs in"
    );
}
