//! Wire types shared by the UI and the server functions: plain serde, safe for wasm.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Mirrors `ledger::AccountKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountKind {
    Platform,
    DirectReseller,
    Reseller,
    Customer,
}

impl AccountKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Platform => "Platform",
            Self::DirectReseller => "Direct reseller",
            Self::Reseller => "Reseller",
            Self::Customer => "Customer",
        }
    }
}

/// Mirrors `ledger::AccountStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountStatus {
    Active,
    Suspended,
}

impl AccountStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Suspended => "Suspended",
        }
    }
}

impl AccountKind {
    /// Where someone signed in to an account of this kind starts.
    pub fn landing_path(self) -> &'static str {
        match self {
            Self::Customer => "/account",
            Self::Platform | Self::DirectReseller | Self::Reseller => "/reseller/customers",
        }
    }

    pub fn has_sub_accounts(self) -> bool {
        !matches!(self, Self::Customer)
    }
}

/// An account as a reseller sees it: its own, or one of its sub-accounts. Mirrors `ledger::Account`
/// (and `ledger::SubAccount`, with its login).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    pub balance: i64,
    pub status: AccountStatus,
    /// For a sub-account, the login of its user; for one's own account, the signed-in login.
    pub login: Option<String>,
}

/// The "Add reseller" / "Add customer" form. Mirrors `ledger::NewSubAccount`, before parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubAccount {
    pub kind: AccountKind,
    pub name: String,
    pub login: String,
    pub password: String,
}

/// What the credit pop-up sends; mirrors `ledger::TransferRequest` before parsing. `credits` is the text as typed ("30", "-5"): the server parses it with
/// the same [`CreditChange::parse`] the pop-up uses, and its answer is the one that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRequest {
    pub sub_account_id: i64,
    pub credits: String,
    pub note: String,
    /// Made when the pop-up opens; every retry of that pop-up's Save carries it, so credits move once.
    pub request_id: String,
}

/// A typed credit amount: positive gives credits, a minus sign takes them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditChange {
    Give(i64),
    Revoke(i64),
}

impl CreditChange {
    /// Reads what the reseller typed: a whole number, optionally signed, not zero.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let text = text.trim();
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::InvalidCredits);
        }
        // Only digits remain, so a failed parse means a number past i64: saturate, and let the
        // ledger's limit refuse it like any other amount over the limit.
        let amount: i64 = digits.parse().unwrap_or(i64::MAX);
        match (amount, text.starts_with('-')) {
            (0, _) => Err(AppError::ZeroCredits),
            (amount, false) => Ok(Self::Give(amount)),
            (amount, true) => Ok(Self::Revoke(amount)),
        }
    }

    /// How many credits move, whichever way.
    pub fn amount(self) -> i64 {
        match self {
            Self::Give(amount) | Self::Revoke(amount) => amount,
        }
    }

    /// The change to the sub-account's balance (and the opposite change to the reseller's).
    pub fn signed(self) -> i64 {
        match self {
            Self::Give(amount) => amount,
            Self::Revoke(amount) => -amount,
        }
    }
}

/// Checks the note the way the server will (`ledger::Note::parse`, which the wasm cannot use):
/// something to track the transfer by, with no character that would not show as itself.
pub fn check_note(note: &str) -> Result<(), AppError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::NoteRequired);
    }
    note.chars().try_for_each(|c| match c {
        '\n' => Ok(()),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Err(AppError::NoteDirectionCharacters),
        c if c.is_control() => Err(AppError::NoteControlCharacters),
        _ => Ok(()),
    })
}

/// Where a user whose password someone else set is sent until they choose their own.
pub const CHANGE_PASSWORD_PATH: &str = "/change-password";

/// The "Change password" form, before parsing: the new password is typed twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    pub repeat_password: String,
}

impl PasswordChange {
    /// Checks what only the form knows, the way the server will: the new password typed the same
    /// twice. The ledger checks the rest.
    pub fn check(&self) -> Result<(), AppError> {
        if self.new_password == self.repeat_password {
            Ok(())
        } else {
            Err(AppError::PasswordsDiffer)
        }
    }
}

/// Transfers per page of an account's list of transfers.
pub const TRANSFERS_PAGE: u32 = 20;

/// Mirrors `ledger::TransferKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferKind {
    Grant,
    Revoke,
    TopUp,
    Usage,
}

impl TransferKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Grant => "Grant",
            Self::Revoke => "Revoke",
            Self::TopUp => "Top-up",
            Self::Usage => "Usage",
        }
    }
}

/// One transfer seen from one account's list of transfers. Mirrors `ledger::AccountTransfer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTransfer {
    pub id: i64,
    pub kind: TransferKind,
    /// The other side of the movement.
    pub counterparty: String,
    /// Positive when credits came in, negative when they went out.
    pub change: i64,
    /// The viewer's balance after this entry.
    pub balance_after: i64,
    pub note: String,
    /// Who made the movement.
    pub actor: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

/// The answer to a saved credit change: the entry it made and both balances after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferReceipt {
    pub transfer_id: i64,
    pub sub_account_id: i64,
    pub sub_account_balance: i64,
    pub own_balance: i64,
}

/// What an API key may be used for; mirrors the account scopes of `ledger::Scope` (operator keys'
/// `usage` is made on the command line only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiScope {
    Read,
    Transfer,
    Manage,
}

impl ApiScope {
    pub const ALL: [ApiScope; 3] = [Self::Read, Self::Transfer, Self::Manage];

    /// The scope's name, as in the API's documentation.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Transfer => "transfer",
            Self::Manage => "manage",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Read => "balances, sub-accounts and transfers",
            Self::Transfer => "give credits and take them back",
            Self::Manage => "open, rename, suspend and reactivate sub-accounts",
        }
    }
}

/// A live API key in the list; mirrors `ledger::ApiKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The "New key" form, before parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<ApiScope>,
}

/// A key just made: the only answer that carries the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeySummary,
    pub secret: String,
}

/// Each wire enum converts to and from the ledger enum it mirrors (server only: the wasm has no ledger).
#[cfg(feature = "ssr")]
mod mirrors {
    use super::{AccountKind, AccountStatus, ApiScope, TransferKind};

    impl From<ApiScope> for ledger::Scope {
        fn from(scope: ApiScope) -> Self {
            match scope {
                ApiScope::Read => Self::Read,
                ApiScope::Transfer => Self::Transfer,
                ApiScope::Manage => Self::Manage,
            }
        }
    }

    impl From<ledger::AccountKind> for AccountKind {
        fn from(kind: ledger::AccountKind) -> Self {
            match kind {
                ledger::AccountKind::Platform => Self::Platform,
                ledger::AccountKind::DirectReseller => Self::DirectReseller,
                ledger::AccountKind::Reseller => Self::Reseller,
                ledger::AccountKind::Customer => Self::Customer,
            }
        }
    }

    impl From<AccountKind> for ledger::AccountKind {
        fn from(kind: AccountKind) -> Self {
            match kind {
                AccountKind::Platform => Self::Platform,
                AccountKind::DirectReseller => Self::DirectReseller,
                AccountKind::Reseller => Self::Reseller,
                AccountKind::Customer => Self::Customer,
            }
        }
    }

    impl From<ledger::AccountStatus> for AccountStatus {
        fn from(status: ledger::AccountStatus) -> Self {
            match status {
                ledger::AccountStatus::Active => Self::Active,
                ledger::AccountStatus::Suspended => Self::Suspended,
            }
        }
    }

    impl From<AccountStatus> for ledger::AccountStatus {
        fn from(status: AccountStatus) -> Self {
            match status {
                AccountStatus::Active => Self::Active,
                AccountStatus::Suspended => Self::Suspended,
            }
        }
    }

    impl From<ledger::TransferKind> for TransferKind {
        fn from(kind: ledger::TransferKind) -> Self {
            match kind {
                ledger::TransferKind::Grant => Self::Grant,
                ledger::TransferKind::Revoke => Self::Revoke,
                ledger::TransferKind::TopUp => Self::TopUp,
                ledger::TransferKind::Usage => Self::Usage,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_positive_number_gives_and_a_minus_sign_revokes() {
        assert_eq!(CreditChange::parse("30"), Ok(CreditChange::Give(30)));
        assert_eq!(CreditChange::parse(" +30 "), Ok(CreditChange::Give(30)));
        assert_eq!(CreditChange::parse("-5"), Ok(CreditChange::Revoke(5)));
        assert_eq!(CreditChange::parse("-5").map(CreditChange::signed), Ok(-5));
    }

    #[test]
    fn anything_but_a_whole_number_is_refused() {
        for text in [
            "abc", "1.5", "", " ", "-", "1e3", "1,000", "3 0", "--5", "٣",
        ] {
            assert_eq!(
                CreditChange::parse(text),
                Err(AppError::InvalidCredits),
                "{text:?}"
            );
        }
    }

    #[test]
    fn zero_is_refused_with_its_own_reason() {
        assert_eq!(CreditChange::parse("0"), Err(AppError::ZeroCredits));
        assert_eq!(CreditChange::parse("-0"), Err(AppError::ZeroCredits));
    }

    #[test]
    fn a_number_past_i64_saturates_for_the_ledger_to_refuse() {
        assert_eq!(
            CreditChange::parse("99999999999999999999"),
            Ok(CreditChange::Give(i64::MAX))
        );
        assert_eq!(
            CreditChange::parse("-99999999999999999999").map(CreditChange::signed),
            Ok(-i64::MAX)
        );
    }

    #[test]
    fn a_new_password_typed_differently_twice_is_refused() {
        let mut change = PasswordChange {
            current_password: "old one".into(),
            new_password: "battery staple".into(),
            repeat_password: "battery stapel".into(),
        };
        assert_eq!(change.check(), Err(AppError::PasswordsDiffer));
        change.repeat_password = "battery staple".into();
        assert_eq!(change.check(), Ok(()));
    }

    #[test]
    fn a_blank_note_is_refused() {
        assert_eq!(check_note("  "), Err(AppError::NoteRequired));
        assert_eq!(check_note("June order"), Ok(()));
    }

    #[test]
    fn a_note_with_hidden_characters_is_refused_before_it_is_sent() {
        assert_eq!(
            check_note("June\0order"),
            Err(AppError::NoteControlCharacters)
        );
        assert_eq!(
            check_note("invoice \u{202E}811"),
            Err(AppError::NoteDirectionCharacters)
        );
        assert_eq!(check_note("June order\nInvoice 118"), Ok(()));
    }
}
