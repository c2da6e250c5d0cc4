//! `server demo`: the worked example, loaded into an empty database, with a login for every account.

use ledger::{
    AccountId, AccountKind, AccountName, Credits, IdempotencyKey, Ledger, Login, Note,
    OpenAccountError, Password, StoreError, SubAccount, TransferError,
};

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "creditdesk-demo";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already has accounts; demo data goes into an empty database only")]
    NotEmpty,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Account(#[from] OpenAccountError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
}

/// A direct reseller with 100 credits from the platform, and three sub-accounts at 0.
pub async fn load(ledger: &Ledger) -> Result<(), DemoError> {
    if ledger.count_accounts().await? > 0 {
        return Err(DemoError::NotEmpty);
    }
    let direct = open(
        ledger,
        ledger.platform_id(),
        AccountKind::DirectReseller,
        "Direct Reseller",
        "direct",
    )
    .await?;
    ledger
        .top_up(
            "demo",
            direct.account.id,
            Credits::new(100).expect("100 is a valid amount"),
            &Note::parse("Demo opening balance").expect("a valid note"),
            &IdempotencyKey::generate(),
        )
        .await?;
    for (kind, name, login) in [
        (AccountKind::Reseller, "Reseller One", "reseller1"),
        (AccountKind::Reseller, "Reseller Two", "reseller2"),
        (AccountKind::Customer, "Customer One", "customer1"),
    ] {
        open(ledger, direct.account.id, kind, name, login).await?;
    }
    println!(
        "Demo data loaded: Direct Reseller with 100 credits; Reseller One, Reseller Two and Customer One at 0."
    );
    println!(
        "Sign in as direct, reseller1, reseller2 or customer1, each with the password {DEMO_PASSWORD}."
    );
    Ok(())
}

async fn open(
    ledger: &Ledger,
    parent: AccountId,
    kind: AccountKind,
    name: &str,
    login: &str,
) -> Result<SubAccount, DemoError> {
    let name = AccountName::parse(name).expect("demo names are valid");
    let login = Login::parse(login).expect("demo logins are valid");
    let password = Password::parse(DEMO_PASSWORD).expect("the demo password is valid");
    Ok(ledger
        .open_account(parent, kind, &name, &login, &password)
        .await?)
}
