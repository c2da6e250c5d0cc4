//! Wire types shared by the UI and the server functions: plain serde, safe for wasm.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountType {
    Platform,
    DirectReseller,
    Reseller,
    Customer,
}

impl AccountType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Platform => "Platform",
            Self::DirectReseller => "Direct reseller",
            Self::Reseller => "Reseller",
            Self::Customer => "Customer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountState {
    Active,
    Suspended,
}

impl AccountState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Suspended => "Suspended",
        }
    }
}

impl AccountType {
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

/// An account as a reseller sees it: its own, or one of its sub-accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub kind: AccountType,
    pub balance: i64,
    pub state: AccountState,
    /// For a sub-account, the login of its user; for one's own account, the signed-in login.
    pub login: Option<String>,
}

/// The "Add reseller" / "Add customer" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubAccount {
    pub kind: AccountType,
    pub name: String,
    pub login: String,
    pub password: String,
}

/// What the credit pop-up sends. `credits` is the text as typed ("30", "-5"): the server parses it with
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

/// Checks the note the way the server will: something to track the transfer by.
pub fn check_note(note: &str) -> Result<(), AppError> {
    if note.trim().is_empty() {
        Err(AppError::NoteRequired)
    } else {
        Ok(())
    }
}

/// Ledger entries per page of history.
pub const HISTORY_PAGE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferType {
    Grant,
    Revoke,
    TopUp,
}

impl TransferType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Grant => "Grant",
            Self::Revoke => "Revoke",
            Self::TopUp => "Top-up",
        }
    }
}

/// One ledger entry seen from the viewer's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub id: i64,
    pub kind: TransferType,
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

/// A number of credits as people read it: grouped thousands, singular for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits(pub i64);

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.0.abs() == 1 {
            "credit"
        } else {
            "credits"
        };
        write!(f, "{} {unit}", Grouped(self.0))
    }
}

/// A whole number with thousands separators: 1,250,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouped(pub i64);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

/// A moment as `2026-11-25 19:40 UTC`: the same text on the server and in the browser, so hydration
/// never disagrees about time zones.
pub fn format_utc(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (second_of_day / 3600, second_of_day % 3600 / 60);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn a_blank_note_is_refused() {
        assert_eq!(check_note("  "), Err(AppError::NoteRequired));
        assert_eq!(check_note("June order"), Ok(()));
    }

    #[test]
    fn credits_read_naturally() {
        assert_eq!(Credits(1).to_string(), "1 credit");
        assert_eq!(Credits(10).to_string(), "10 credits");
        assert_eq!(Credits(1_250_000).to_string(), "1,250,000 credits");
        assert_eq!(Credits(-1000).to_string(), "-1,000 credits");
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_795_635_600_000), "2026-11-25 19:40 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
