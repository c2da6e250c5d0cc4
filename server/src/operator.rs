//! Platform operators' commands: open direct resellers, top them up, set passwords.

use std::io::{BufRead, IsTerminal};

use app::movements::{Channel, counted};
use ledger::{
    AccountName, ApiKeyError, ApiKeyName, Credits, IdempotencyKey, KeyId, Ledger, Login, Note,
    OpenAccountError, Operator, Password, Scopes, SetPasswordError, StoreError, TopUp,
    TransferError, TransferKind, UsageDebit,
};

/// Who the command line acts as; recorded in the ledger with every top-up.
pub fn operator() -> Operator {
    Operator::new("operator")
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("invalid name: {0}")]
    Name(#[from] ledger::AccountNameError),
    #[error("invalid login: {0}")]
    Login(#[from] ledger::LoginError),
    #[error("invalid password: {0}")]
    Password(#[from] ledger::PasswordError),
    #[error("invalid credits: {0}")]
    Credits(#[from] ledger::CreditsError),
    #[error("invalid note: {0}")]
    Note(#[from] ledger::NoteError),
    #[error("invalid request id: {0}")]
    RequestId(#[from] ledger::IdempotencyKeyError),
    #[error("request id {0} was already used for a different top-up")]
    RequestIdReused(String),
    #[error("no user has the login {0}")]
    UnknownLogin(String),
    #[error("invalid key name: {0}")]
    KeyName(#[from] ledger::ApiKeyNameError),
    #[error("invalid scope: {0}")]
    Scope(#[from] ledger::ScopeError),
    #[error("no live key is named {0:?} there")]
    UnknownKey(String),
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error("could not read the password from stdin: {0}")]
    Stdin(#[from] std::io::Error),
    #[error(transparent)]
    Open(#[from] OpenAccountError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    SetPassword(#[from] SetPasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn create_direct_reseller(
    ledger: &Ledger,
    name: &str,
    login: &str,
) -> Result<(), OperatorError> {
    let (name, login) = (AccountName::parse(name)?, Login::parse(login)?);
    let (password, generated) = password_from_stdin_or_generated()?;
    let opened = ledger
        .open_direct_reseller(&operator(), &name, &login, &password)
        .await?;
    println!(
        "Opened direct reseller {} (account {}) with login {login}.",
        opened.account.name, opened.account.id
    );
    if generated {
        println!("Password (shown once): {}", password.expose());
    }
    Ok(())
}

/// Tops up once per `request_id` (the operator's reference, e.g. the invoice number): run again
/// after a dropped connection, it says the top-up was already applied and issues nothing.
pub async fn top_up(
    ledger: &Ledger,
    login: &str,
    credits: i64,
    note: &str,
    request_id: &str,
) -> Result<(), OperatorError> {
    let login = Login::parse(login)?;
    let operator = operator();
    let account = ledger
        .account_by_login(&operator, &login)
        .await?
        .ok_or_else(|| OperatorError::UnknownLogin(login.to_string()))?;
    let top_up = TopUp {
        direct_reseller: account.id,
        credits: Credits::new(credits)?,
        note: Note::parse(note)?,
        key: IdempotencyKey::parse(request_id)?,
    };
    let applied = counted(
        TransferKind::TopUp,
        Channel::Cli,
        ledger.top_up(&operator, &top_up).await,
    )
    .map_err(|error| match error {
        TransferError::KeyReused => OperatorError::RequestIdReused(request_id.to_owned()),
        error @ (TransferError::SubAccountNotFound
        | TransferError::NotADirectReseller
        | TransferError::OwnAccountSuspended
        | TransferError::NotEnoughCredits { .. }
        | TransferError::SubAccountShort { .. }
        | TransferError::Suspended { .. }
        | TransferError::UsageShort { .. }
        | TransferError::UsageNotAllowed
        | TransferError::AccountNotFound
        | TransferError::Store(_)) => error.into(),
    })?;
    let transfer = &applied.transfer;
    if applied.replayed {
        println!(
            "Already applied: {request_id} topped up {} with {} credits (transfer {}); its balance \
             after it was {}.",
            account.name, transfer.amount, transfer.id, transfer.to_balance_after
        );
    } else {
        println!(
            "Topped up {} with {} credits; its balance is now {}.",
            account.name, transfer.amount, transfer.to_balance_after
        );
    }
    Ok(())
}

pub async fn set_password(ledger: &Ledger, login: &str) -> Result<(), OperatorError> {
    let login = Login::parse(login)?;
    let (password, generated) = password_from_stdin_or_generated()?;
    ledger.set_password(&operator(), &login, &password).await?;
    println!(
        "Password of {login} replaced; its sessions have ended, and it must be changed at the next sign-in."
    );
    if generated {
        println!("Password (shown once): {}", password.expose());
    }
    Ok(())
}

/// The first line of stdin when something is piped in; otherwise a generated password.
fn password_from_stdin_or_generated() -> Result<(Password, bool), OperatorError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok((Password::generate(), true));
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok((Password::parse(line.trim_end_matches(['\r', '\n']))?, false))
}

/// Acts as a user of the account of `login`, or as the platform without one.
async fn holder(ledger: &Ledger, login: Option<&str>) -> Result<ledger::Actor, OperatorError> {
    let operator = operator();
    match login {
        None => Ok(ledger.platform_actor(&operator)),
        Some(login) => {
            let login = Login::parse(login)?;
            ledger
                .actor_for(&operator, &login)
                .await?
                .ok_or_else(|| OperatorError::UnknownLogin(login.to_string()))
        }
    }
}

/// Makes a key for the account of `login` (or an operator key without one) and prints it, alone,
/// on stdout: the only time it is shown.
pub async fn create_api_key(
    ledger: &Ledger,
    login: Option<&str>,
    name: &str,
    scopes: &str,
) -> Result<(), OperatorError> {
    let (name, scopes) = (ApiKeyName::parse(name)?, Scopes::parse(scopes)?);
    let made = ledger
        .create_api_key(&holder(ledger, login).await?, &name, scopes)
        .await?;
    println!("{}", made.secret.expose());
    Ok(())
}

/// Which key `server api-key revoke` names.
#[derive(Debug)]
pub enum KeyToRevoke {
    Id(i64),
    /// A live key's name, of the account of `login` (the platform's without one).
    Named {
        name: String,
        login: Option<String>,
    },
}

pub async fn revoke_api_key(ledger: &Ledger, key: KeyToRevoke) -> Result<(), OperatorError> {
    let id = match key {
        KeyToRevoke::Id(id) => {
            ledger.revoke_any_api_key(&operator(), KeyId(id)).await?;
            KeyId(id)
        }
        KeyToRevoke::Named { name, login } => {
            let holder = holder(ledger, login.as_deref()).await?;
            let key = ledger
                .api_keys(&holder)
                .await?
                .into_iter()
                .find(|key| key.name == name)
                .ok_or(OperatorError::UnknownKey(name))?;
            ledger.revoke_api_key(&holder, key.id).await?;
            key.id
        }
    };
    println!("Revoked API key {id}.");
    Ok(())
}

/// Charges the account of `login` for what it sent, as the platform; `request_id` makes a retry
/// harmless.
pub async fn usage(
    ledger: &Ledger,
    login: &str,
    credits: i64,
    reference: &str,
    request_id: &str,
) -> Result<(), OperatorError> {
    let operator = operator();
    let login = Login::parse(login)?;
    let account = ledger
        .account_by_login(&operator, &login)
        .await?
        .ok_or_else(|| OperatorError::UnknownLogin(login.to_string()))?;
    let debit = UsageDebit {
        account: account.id,
        credits: Credits::new(credits)?,
        reference: Note::parse(reference)?,
        key: IdempotencyKey::parse(request_id)?,
    };
    let charged = counted(
        TransferKind::Usage,
        Channel::Cli,
        ledger
            .usage(&ledger.platform_actor(&operator), &debit)
            .await,
    )?;
    let again = if charged.replayed {
        " (already charged: nothing moved)"
    } else {
        ""
    };
    println!(
        "Charged {} {} credits for {}; its balance is now {}{again}.",
        account.name, charged.amount, charged.note, charged.from_balance_after
    );
    Ok(())
}
