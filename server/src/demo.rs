//! `server demo`: the worked example, loaded into an empty database.

use ledger::{
    AccountKind, AccountName, CreateAccountError, Credits, IdempotencyKey, Ledger, Note,
    StoreError, TransferError,
};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already has accounts; demo data goes into an empty database only")]
    NotEmpty,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Account(#[from] CreateAccountError),
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
    )
    .await?;
    ledger
        .top_up(
            "demo",
            direct.id,
            Credits::new(100).expect("100 is a valid amount"),
            &Note::parse("Demo opening balance").expect("a valid note"),
            &IdempotencyKey::generate(),
        )
        .await?;
    for (kind, name) in [
        (AccountKind::Reseller, "Reseller One"),
        (AccountKind::Reseller, "Reseller Two"),
        (AccountKind::Customer, "Customer One"),
    ] {
        open(ledger, direct.id, kind, name).await?;
    }
    println!(
        "Demo data loaded: Direct Reseller with 100 credits; Reseller One, Reseller Two and Customer One at 0."
    );
    Ok(())
}

async fn open(
    ledger: &Ledger,
    parent: ledger::AccountId,
    kind: AccountKind,
    name: &str,
) -> Result<ledger::Account, DemoError> {
    let name = AccountName::parse(name).expect("demo names are valid");
    Ok(ledger.create_account(parent, kind, &name).await?)
}
