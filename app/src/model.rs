//! Wire types shared by the UI and the server functions: plain serde, safe for wasm.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::format::{CreditCount, Grouped};

/// Mirrors `ledger::AccountKind`; the REST API's too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
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

    /// The kind inside a sentence ("Add reseller"): the label in lower case, spelled out so that
    /// the browser carries no Unicode case tables for it.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::DirectReseller => "direct reseller",
            Self::Reseller => "reseller",
            Self::Customer => "customer",
        }
    }
}

/// Mirrors `ledger::AccountStatus`; the REST API's too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
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
    /// When the account was opened, in milliseconds since the Unix epoch.
    pub created_at: i64,
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

/// Mirrors `ledger::TransferKind`; the REST API's too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Parent to direct sub-account.
    Grant,
    /// Direct sub-account back to its parent.
    Revoke,
    /// New credits from the platform to a direct reseller.
    TopUp,
    /// An account back to the platform, for messages it sent.
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

    /// Its name in URLs, downloads and JSON, the ledger's own.
    pub fn code(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Revoke => "revoke",
            Self::TopUp => "top_up",
            Self::Usage => "usage",
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
    pub counterparty_id: i64,
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

/// Rows per page of Manage Customers.
pub const GRID_PAGE: u32 = 50;

/// How Manage Customers (and the API's list of sub-accounts) is sorted. Mirrors
/// `ledger::SubAccountSort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubAccountSort {
    #[default]
    Name,
    Balance,
    Created,
}

/// Mirrors `ledger::SortDirection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SortDirection {
    #[default]
    #[serde(rename = "asc")]
    Ascending,
    #[serde(rename = "desc")]
    Descending,
}

impl SortDirection {
    fn flipped(self) -> Self {
        match self {
            Self::Ascending => Self::Descending,
            Self::Descending => Self::Ascending,
        }
    }
}

/// What Manage Customers shows: everything its URL's query string holds (`q`, `kind`, `status`,
/// `sort`, `dir`, `cursor`), so that a reload, Back or a shared link shows the same view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SubAccountView {
    /// The start of a name or of a login.
    pub q: String,
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    pub sort: SubAccountSort,
    pub direction: SortDirection,
    /// The page: a cursor from the previous answer's `next` or `previous`; the first when absent.
    pub cursor: Option<String>,
}

impl SubAccountView {
    /// Reads the query string (`get` gives a parameter's value); anything unknown means the default.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            q: get("q").unwrap_or_default(),
            kind: match get("kind").as_deref() {
                Some("resellers") => Some(AccountKind::Reseller),
                Some("customers") => Some(AccountKind::Customer),
                _ => None,
            },
            status: match get("status").as_deref() {
                Some("active") => Some(AccountStatus::Active),
                Some("suspended") => Some(AccountStatus::Suspended),
                _ => None,
            },
            sort: match get("sort").as_deref() {
                Some("balance") => SubAccountSort::Balance,
                Some("created") => SubAccountSort::Created,
                _ => SubAccountSort::Name,
            },
            direction: match get("dir").as_deref() {
                Some("desc") => SortDirection::Descending,
                _ => SortDirection::Ascending,
            },
            cursor: get("cursor").filter(|cursor| !cursor.is_empty()),
        }
    }

    /// The query string's parameters, defaults left out.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if !self.q.is_empty() {
            query.push(("q", self.q.clone()));
        }
        match self.kind {
            Some(AccountKind::Reseller) => query.push(("kind", "resellers".into())),
            Some(AccountKind::Customer) => query.push(("kind", "customers".into())),
            Some(AccountKind::Platform | AccountKind::DirectReseller) | None => {}
        }
        match self.status {
            Some(AccountStatus::Active) => query.push(("status", "active".into())),
            Some(AccountStatus::Suspended) => query.push(("status", "suspended".into())),
            None => {}
        }
        match self.sort {
            SubAccountSort::Name => {}
            SubAccountSort::Balance => query.push(("sort", "balance".into())),
            SubAccountSort::Created => query.push(("sort", "created".into())),
        }
        if self.direction == SortDirection::Descending {
            query.push(("dir", "desc".into()));
        }
        if let Some(cursor) = &self.cursor {
            query.push(("cursor", cursor.clone()));
        }
        query
    }

    /// Sorted by `sort`: the other way round if it already is, else in its natural order (names
    /// A-Z, the largest balance and the newest first). Back on the first page.
    pub fn sorted_by(&self, sort: SubAccountSort) -> Self {
        let direction = if self.sort == sort {
            self.direction.flipped()
        } else {
            match sort {
                SubAccountSort::Name => SortDirection::Ascending,
                SubAccountSort::Balance | SubAccountSort::Created => SortDirection::Descending,
            }
        };
        Self {
            sort,
            direction,
            cursor: None,
            ..self.clone()
        }
    }

    /// The same view at another page.
    pub fn at(&self, cursor: Option<String>) -> Self {
        Self {
            cursor,
            ..self.clone()
        }
    }
}

/// One page of Manage Customers. Mirrors `ledger::SubAccountPage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubAccountList {
    pub rows: Vec<AccountSummary>,
    pub next: Option<String>,
    pub previous: Option<String>,
    /// How many sub-accounts match the search and filters, and the credits they hold.
    pub matching: i64,
    pub matching_credits: i64,
}

/// Transfers per page of the transfers page.
pub const TRANSFER_LIST_PAGE: u32 = 50;

/// What the transfers page shows: everything its URL's query string holds (`account`, `from`,
/// `to`, `kind`, `counterparty`, `note`, `cursor`). The CSV download takes the same parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TransferView {
    /// The signed-in account's own when absent.
    pub account: Option<i64>,
    /// The first day shown, `YYYY-MM-DD` (UTC), or empty.
    pub from: String,
    /// The last day shown, `YYYY-MM-DD` (UTC), or empty.
    pub to: String,
    pub kind: Option<TransferKind>,
    pub counterparty: Option<i64>,
    /// Text anywhere in the note.
    pub note: String,
    pub cursor: Option<String>,
}

impl TransferView {
    /// Reads the query string (`get` gives a parameter's value); anything unknown means the default.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let id = |name| get(name).and_then(|id| id.parse().ok());
        Self {
            account: id("account"),
            from: get("from").unwrap_or_default(),
            to: get("to").unwrap_or_default(),
            kind: match get("kind").as_deref() {
                Some("grant") => Some(TransferKind::Grant),
                Some("revoke") => Some(TransferKind::Revoke),
                Some("top_up") => Some(TransferKind::TopUp),
                Some("usage") => Some(TransferKind::Usage),
                _ => None,
            },
            counterparty: id("counterparty"),
            note: get("note").unwrap_or_default(),
            cursor: get("cursor").filter(|cursor| !cursor.is_empty()),
        }
    }

    /// The query string's parameters, defaults left out.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(account) = self.account {
            query.push(("account", account.to_string()));
        }
        for (name, value) in [("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                query.push((name, value.clone()));
            }
        }
        if let Some(kind) = self.kind {
            query.push(("kind", kind.code().into()));
        }
        if let Some(counterparty) = self.counterparty {
            query.push(("counterparty", counterparty.to_string()));
        }
        if !self.note.is_empty() {
            query.push(("note", self.note.clone()));
        }
        if let Some(cursor) = &self.cursor {
            query.push(("cursor", cursor.clone()));
        }
        query
    }

    /// The same view at another page.
    pub fn at(&self, cursor: Option<String>) -> Self {
        Self {
            cursor,
            ..self.clone()
        }
    }
}

/// One page of an account's transfers. Mirrors `ledger::TransferPage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferList {
    /// Whose transfers these are, with its balance now.
    pub account: AccountSummary,
    pub rows: Vec<AccountTransfer>,
    /// Older transfers.
    pub next: Option<String>,
    /// Newer transfers.
    pub previous: Option<String>,
}

/// Steps of the balance chart: its points are one more.
pub const CHART_POINTS: u32 = 48;

/// One account's balance at one moment. Mirrors `ledger::BalancePoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancePoint {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub balance: i64,
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

/// A key just made: the only answer that carries the key itself. Its name is all the page shows
/// with it; the list is read again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub name: String,
    pub secret: String,
}

/// One of the levels of the alert settings pop-up, to say which one a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleLevel {
    AlertBelow,
    WhenBelow,
    TopUpTo,
}

impl RuleLevel {
    /// The field's label, as the pop-up shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::AlertBelow => "Alert below",
            Self::WhenBelow => "When below",
            Self::TopUpTo => "Top up to",
        }
    }
}

/// What watches an account's balance. Mirrors `ledger::BalanceRules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BalanceRules {
    /// Alert when a movement takes the balance below this.
    pub alert_below: Option<i64>,
    pub replenish: Option<Replenish>,
}

/// "When below `below`, top up to `up_to`" from the parent's balance. Mirrors `ledger::Replenish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replenish {
    pub below: i64,
    pub up_to: i64,
}

/// What the alert settings pop-up sends: each level as typed, empty for off. The server parses it
/// with the same [`BalanceRulesForm::parse`] the pop-up uses, and its answer is the one that counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BalanceRulesForm {
    pub alert_below: String,
    pub when_below: String,
    pub top_up_to: String,
}

impl BalanceRulesForm {
    /// The pop-up's fields filled in with the rules in force.
    pub fn from_rules(rules: BalanceRules) -> Self {
        let text = |level: Option<i64>| level.map(|level| level.to_string()).unwrap_or_default();
        Self {
            alert_below: text(rules.alert_below),
            when_below: text(rules.replenish.map(|rule| rule.below)),
            top_up_to: text(rules.replenish.map(|rule| rule.up_to)),
        }
    }

    /// Reads what was typed: each level a whole number of credits from 1, or empty for off, and
    /// the top-up both set (above its trigger) or both empty. The ledger checks the upper limit.
    pub fn parse(&self) -> Result<BalanceRules, AppError> {
        let alert_below = parse_level(&self.alert_below, RuleLevel::AlertBelow)?;
        let below = parse_level(&self.when_below, RuleLevel::WhenBelow)?;
        let up_to = parse_level(&self.top_up_to, RuleLevel::TopUpTo)?;
        let replenish = match (below, up_to) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(AppError::ReplenishIncomplete {
                    missing: RuleLevel::TopUpTo,
                });
            }
            (None, Some(_)) => {
                return Err(AppError::ReplenishIncomplete {
                    missing: RuleLevel::WhenBelow,
                });
            }
            (Some(below), Some(up_to)) if up_to <= below => return Err(AppError::TopUpNotAbove),
            (Some(below), Some(up_to)) => Some(Replenish { below, up_to }),
        };
        Ok(BalanceRules {
            alert_below,
            replenish,
        })
    }
}

fn parse_level(text: &str, level: RuleLevel) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::InvalidLevel { level });
    }
    // Only digits remain, so a failed parse means a number past i64: saturate, and let the
    // ledger's limit refuse it like any other level over the limit.
    match text.parse().unwrap_or(i64::MAX) {
        0 => Err(AppError::ZeroLevel { level }),
        credits => Ok(Some(credits)),
    }
}

/// Alerts shown on the alerts page, newest first.
pub const ALERTS_PAGE: u32 = 100;

/// Mirrors `ledger::AlertKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertKind {
    LowBalance,
    AutoReplenishFailed,
}

/// One alert. Mirrors `ledger::Alert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    pub account_id: i64,
    pub account_name: String,
    /// The account's balance after the movement.
    pub balance: i64,
    /// The level crossed: the alert threshold, or the top-up trigger.
    pub threshold: i64,
    pub transfer_id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub unread: bool,
}

impl Alert {
    /// What happened, in a sentence.
    pub fn sentence(&self) -> String {
        let (name, threshold, left) = (
            &self.account_name,
            CreditCount(self.threshold),
            Grouped(self.balance),
        );
        match self.kind {
            AlertKind::LowBalance => format!("{name} fell below {threshold}: {left} left"),
            AlertKind::AutoReplenishFailed => format!(
                "Could not top up {name} automatically: it fell below {threshold} and has {left} left"
            ),
        }
    }
}

/// Deliveries and attempts shown on the webhooks page, newest first.
pub const WEBHOOK_ROWS: u32 = 50;

/// The account's webhook, without its secret. Mirrors `ledger::Webhook`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSummary {
    pub url: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A webhook just saved: the only answer that carries its signing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub url: String,
    pub secret: String,
}

/// Mirrors `ledger::DeliveryStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
    }
}

/// One event on its way to the webhook. Mirrors `ledger::Delivery`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    /// When it is tried next, while pending (milliseconds since the Unix epoch).
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

/// One try at posting a delivery. Mirrors `ledger::DeliveryAttempt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub delivery_id: i64,
    pub event_type: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What a receiver answered, in a few words: its status code, why there was none, or both.
pub fn answer(code: Option<i64>, error: Option<&str>) -> String {
    match (code, error) {
        (Some(code), Some(error)) => format!("{code} · {error}"),
        (Some(code), None) => code.to_string(),
        (None, Some(error)) => error.to_owned(),
        (None, None) => "—".to_owned(),
    }
}

/// Each wire enum converts to and from the ledger enum it mirrors (server only: the wasm has no ledger).
#[cfg(feature = "ssr")]
mod mirrors {
    use super::{
        AccountKind, AccountStatus, AlertKind, ApiScope, BalancePoint, BalanceRules,
        DeliveryStatus, Replenish, SortDirection, SubAccountSort, TransferKind,
    };

    impl From<ledger::BalanceRules> for BalanceRules {
        fn from(rules: ledger::BalanceRules) -> Self {
            Self {
                alert_below: rules.alert_below,
                replenish: rules.replenish.map(|rule| Replenish {
                    below: rule.below,
                    up_to: rule.up_to,
                }),
            }
        }
    }

    impl From<ledger::AlertKind> for AlertKind {
        fn from(kind: ledger::AlertKind) -> Self {
            match kind {
                ledger::AlertKind::LowBalance => Self::LowBalance,
                ledger::AlertKind::AutoReplenishFailed => Self::AutoReplenishFailed,
            }
        }
    }

    impl From<ledger::DeliveryStatus> for DeliveryStatus {
        fn from(status: ledger::DeliveryStatus) -> Self {
            match status {
                ledger::DeliveryStatus::Pending => Self::Pending,
                ledger::DeliveryStatus::Delivered => Self::Delivered,
                ledger::DeliveryStatus::Failed => Self::Failed,
            }
        }
    }

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

    impl From<TransferKind> for ledger::TransferKind {
        fn from(kind: TransferKind) -> Self {
            match kind {
                TransferKind::Grant => Self::Grant,
                TransferKind::Revoke => Self::Revoke,
                TransferKind::TopUp => Self::TopUp,
                TransferKind::Usage => Self::Usage,
            }
        }
    }

    impl From<SubAccountSort> for ledger::SubAccountSort {
        fn from(sort: SubAccountSort) -> Self {
            match sort {
                SubAccountSort::Name => Self::Name,
                SubAccountSort::Balance => Self::Balance,
                SubAccountSort::Created => Self::Created,
            }
        }
    }

    impl From<SortDirection> for ledger::SortDirection {
        fn from(direction: SortDirection) -> Self {
            match direction {
                SortDirection::Ascending => Self::Ascending,
                SortDirection::Descending => Self::Descending,
            }
        }
    }

    impl From<ledger::BalancePoint> for BalancePoint {
        fn from(point: ledger::BalancePoint) -> Self {
            Self {
                at: point.at,
                balance: point.balance,
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

    fn query(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_grid_view_round_trips_through_the_query_string() {
        let view = SubAccountView {
            q: "Acme t".into(),
            kind: Some(AccountKind::Customer),
            status: Some(AccountStatus::Suspended),
            sort: SubAccountSort::Balance,
            direction: SortDirection::Descending,
            cursor: Some("Nbd12.7.30".into()),
        };
        let pairs = view.to_query();
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(SubAccountView::from_query(query(&borrowed)), view);
        assert!(SubAccountView::default().to_query().is_empty());
        assert_eq!(
            SubAccountView::from_query(query(&[
                ("kind", "platform"),
                ("sort", "x"),
                ("dir", "up")
            ])),
            SubAccountView::default()
        );
    }

    #[test]
    fn a_header_sorts_its_natural_way_first_then_the_other_way_from_the_first_page() {
        let view = SubAccountView::default().at(Some("Nna0.5.acme".into()));
        let by_balance = view.sorted_by(SubAccountSort::Balance);
        assert_eq!(
            (
                by_balance.sort,
                by_balance.direction,
                by_balance.cursor.as_deref()
            ),
            (SubAccountSort::Balance, SortDirection::Descending, None)
        );
        let again = by_balance.sorted_by(SubAccountSort::Balance);
        assert_eq!(again.direction, SortDirection::Ascending);
        assert_eq!(
            view.sorted_by(SubAccountSort::Name).direction,
            SortDirection::Descending
        );
    }

    #[test]
    fn the_transfer_view_round_trips_through_the_query_string() {
        let view = TransferView {
            account: Some(42),
            from: "2026-01-01".into(),
            to: "2026-03-31".into(),
            kind: Some(TransferKind::TopUp),
            counterparty: Some(7),
            note: "INV-0".into(),
            cursor: Some("O1795635600000.42".into()),
        };
        let pairs = view.to_query();
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(TransferView::from_query(query(&borrowed)), view);
        assert_eq!(
            TransferView::from_query(query(&[("account", "x"), ("kind", "bonus")])),
            TransferView::default()
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

    fn rules_form(alert_below: &str, when_below: &str, top_up_to: &str) -> BalanceRulesForm {
        BalanceRulesForm {
            alert_below: alert_below.into(),
            when_below: when_below.into(),
            top_up_to: top_up_to.into(),
        }
    }

    #[test]
    fn empty_levels_turn_the_rules_off() {
        assert_eq!(rules_form(" ", "", "").parse(), Ok(BalanceRules::default()));
    }

    #[test]
    fn the_alert_settings_read_back_as_they_were_filled_in() {
        let rules = BalanceRules {
            alert_below: Some(10),
            replenish: Some(Replenish {
                below: 5,
                up_to: 50,
            }),
        };
        assert_eq!(rules_form("10", " 5 ", "50").parse(), Ok(rules));
        assert_eq!(
            BalanceRulesForm::from_rules(rules),
            rules_form("10", "5", "50")
        );
    }

    #[test]
    fn a_level_that_is_not_a_whole_number_names_its_field() {
        for text in ["abc", "1.5", "-5", "+5", "1,000", "1e3"] {
            assert_eq!(
                rules_form("", text, "50").parse(),
                Err(AppError::InvalidLevel {
                    level: RuleLevel::WhenBelow
                }),
                "{text:?}"
            );
        }
        assert_eq!(
            rules_form("0", "", "").parse(),
            Err(AppError::ZeroLevel {
                level: RuleLevel::AlertBelow
            })
        );
    }

    #[test]
    fn a_top_up_needs_both_levels_with_the_target_above_the_trigger() {
        assert_eq!(
            rules_form("", "10", "").parse(),
            Err(AppError::ReplenishIncomplete {
                missing: RuleLevel::TopUpTo
            })
        );
        assert_eq!(
            rules_form("", "", "10").parse(),
            Err(AppError::ReplenishIncomplete {
                missing: RuleLevel::WhenBelow
            })
        );
        assert_eq!(
            rules_form("", "10", "10").parse(),
            Err(AppError::TopUpNotAbove)
        );
    }

    #[test]
    fn an_alert_says_what_happened_in_words() {
        let mut alert = Alert {
            id: 1,
            kind: AlertKind::LowBalance,
            account_id: 7,
            account_name: "Acme".into(),
            balance: 9,
            threshold: 10,
            transfer_id: 3,
            at: 0,
            unread: true,
        };
        assert_eq!(alert.sentence(), "Acme fell below 10 credits: 9 left");
        alert.kind = AlertKind::AutoReplenishFailed;
        assert_eq!(
            alert.sentence(),
            "Could not top up Acme automatically: it fell below 10 credits and has 9 left"
        );
    }
}

/// The path of the live stream: server-sent events of the signed-in user's balances.
pub const LIVE_EVENTS_PATH: &str = "/events";

/// One `balances` event of the live stream: the balances (the user's own account and its direct
/// sub-accounts) that moved since the last event, and the user's unread alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBalances {
    pub changes: Vec<LiveBalance>,
    pub unread_alerts: i64,
}

/// A balance as of the newest transfer that moved it: a reader keeps, per account, the change with
/// the highest `transfer_id` it has seen, so that a late or repeated event never undoes a newer one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBalance {
    pub account_id: i64,
    pub balance: i64,
    pub transfer_id: i64,
}
