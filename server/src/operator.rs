//! Platform operators' commands: open direct resellers, top them up, set passwords.

use std::io::{BufRead, IsTerminal};

use ledger::{
    AccountName, Credits, IdempotencyKey, Ledger, Login, Note, OpenAccountError, Operator,
    Password, SetPasswordError, StoreError, TopUp, TransferError,
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
    #[error("no user has the login {0}")]
    UnknownLogin(String),
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

pub async fn top_up(
    ledger: &Ledger,
    login: &str,
    credits: i64,
    note: &str,
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
        key: IdempotencyKey::generate(),
    };
    let transfer = ledger.top_up(&operator, &top_up).await?;
    println!(
        "Topped up {} with {} credits; its balance is now {}.",
        account.name, transfer.amount, transfer.to_balance_after
    );
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
