//! A NUL character in what someone types (PostgreSQL's text cannot hold one) is an ordinary wrong
//! input: a search that finds nothing, a sign-in that fails and counts, a name refused with its
//! reason. Never a database error.

use ledger::testing::with_worked_example;
use ledger::{
    ApiKeyName, ApiKeyNameError, SearchText, SignInError, SubAccountQuery, TransferQuery,
};

#[tokio::test]
async fn a_search_with_a_nul_finds_nothing() {
    let (_db, ledger, example) = with_worked_example().await;
    let typed = SearchText::parse("reseller\0one");

    let sub_accounts = SubAccountQuery {
        search: typed.clone(),
        ..SubAccountQuery::by_name(50)
    };
    let page = ledger
        .sub_account_page(&example.direct, &sub_accounts)
        .await
        .unwrap();
    assert!(page.rows.is_empty(), "{:?}", page.rows);

    let notes = TransferQuery {
        note: typed,
        ..TransferQuery::of(None, 50)
    };
    let page = ledger.transfer_page(&example.direct, &notes).await.unwrap();
    assert!(page.rows.is_empty(), "{:?}", page.rows);
}

#[tokio::test]
async fn a_sign_in_with_a_nul_in_the_login_is_a_wrong_login() {
    let (_db, ledger, _example) = with_worked_example().await;
    let refused = ledger
        .sign_in("dir\0ect", ledger::DEMO_PASSWORD, "203.0.113.9")
        .await;
    assert!(
        matches!(refused, Err(SignInError::WrongCredentials)),
        "{refused:?}"
    );
}

#[test]
fn an_api_key_name_with_a_nul_is_refused_with_its_reason() {
    assert_eq!(
        ApiKeyName::parse("Bil\0ling"),
        Err(ApiKeyNameError::ControlCharacters)
    );
    assert_eq!(
        ApiKeyNameError::ControlCharacters.to_string(),
        "the key's name contains a control character"
    );
}
