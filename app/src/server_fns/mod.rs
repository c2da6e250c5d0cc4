//! Every server function. Each is a thin adapter: who is calling, parse the input, one ledger call,
//! and the domain result (or error) turned into the UI's types. The work sits in `ssr`. Arguments
//! arrive as JSON and answers leave in postcard (`crate::wire` says why).

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, Postcard};

use crate::error::AppError;
use crate::model::{
    AccountStatus, AccountSummary, AccountTransfer, Alert, ApiKeySummary, BalancePoint,
    BalanceRules, BalanceRulesForm, CreatedApiKey, CreatedWebhook, CreditRequest, Delivery,
    DeliveryAttempt, NewApiKey, NewSubAccount, PasswordChange, SubAccountList, SubAccountView,
    TransferList, TransferReceipt, TransferView, WebhookSummary,
};

#[cfg(feature = "ssr")]
mod convert;
#[cfg(feature = "ssr")]
pub use convert::transfer_query;
#[cfg(feature = "ssr")]
mod ssr;

/// Checks a login and password, opens a session, and answers with the page to land on.
#[server(endpoint = "sign_in", input = Json, output = Postcard)]
pub async fn sign_in(login: String, password: String) -> Result<String, AppError> {
    ssr::sign_in(login, password).await
}

/// Ends the caller's session.
#[server(endpoint = "sign_out", input = Json, output = Postcard)]
pub async fn sign_out() -> Result<(), AppError> {
    ssr::sign_out().await
}

/// Replaces the caller's password with one they choose, proven by the current one; ends their other
/// sessions and answers with the page to land on.
#[server(endpoint = "change_password", input = Json, output = Postcard)]
pub async fn change_password(change: PasswordChange) -> Result<String, AppError> {
    ssr::change_password(change).await
}

/// The account the signed-in user acts for, with its balance.
#[server(endpoint = "my_account", input = Json, output = Postcard)]
pub async fn my_account() -> Result<AccountSummary, AppError> {
    ssr::my_account().await
}

/// The caller's direct sub-accounts with their balances.
#[server(endpoint = "sub_accounts", input = Json, output = Postcard)]
pub async fn sub_accounts() -> Result<Vec<AccountSummary>, AppError> {
    ssr::sub_accounts().await
}

/// One page of the caller's direct sub-accounts as Manage Customers' URL describes it, with how
/// many match and the credits they hold.
#[server(endpoint = "sub_account_page", input = Json, output = Postcard)]
pub async fn sub_account_page(view: SubAccountView) -> Result<SubAccountList, AppError> {
    ssr::sub_account_page(view).await
}

/// One page of the transfers of the caller's account (or of one below it) as the transfers page's
/// URL describes it.
#[server(endpoint = "transfer_page", input = Json, output = Postcard)]
pub async fn transfer_page(view: TransferView) -> Result<TransferList, AppError> {
    ssr::transfer_page(view).await
}

/// The balance over the transfers page's date range, for its chart.
#[server(endpoint = "balance_history", input = Json, output = Postcard)]
pub async fn balance_history(view: TransferView) -> Result<Vec<BalancePoint>, AppError> {
    ssr::balance_history(view).await
}

/// Gives credits to a sub-account (a positive number) or takes them back (a minus sign).
#[server(endpoint = "transfer_credits", input = Json, output = Postcard)]
pub async fn transfer_credits(request: CreditRequest) -> Result<TransferReceipt, AppError> {
    ssr::transfer_credits(request).await
}

/// Ledger entries of the caller's account (`account_id` empty) or of any account below it, newest
/// first, older than `before` when given.
#[server(endpoint = "account_transfers", input = Json, output = Postcard)]
pub async fn account_transfers(
    account_id: Option<i64>,
    before: Option<i64>,
) -> Result<Vec<AccountTransfer>, AppError> {
    ssr::account_transfers(account_id, before).await
}

/// Opens a reseller or customer account under the caller, with its login and first password.
#[server(endpoint = "create_sub_account", input = Json, output = Postcard)]
pub async fn create_sub_account(account: NewSubAccount) -> Result<AccountSummary, AppError> {
    ssr::create_sub_account(account).await
}

/// Renames one of the caller's direct sub-accounts.
#[server(endpoint = "rename_sub_account", input = Json, output = Postcard)]
pub async fn rename_sub_account(account_id: i64, name: String) -> Result<AccountSummary, AppError> {
    ssr::rename_sub_account(account_id, name).await
}

/// Suspends or reactivates one of the caller's direct sub-accounts.
#[server(endpoint = "set_sub_account_status", input = Json, output = Postcard)]
pub async fn set_sub_account_status(
    account_id: i64,
    status: AccountStatus,
) -> Result<AccountSummary, AppError> {
    ssr::set_sub_account_status(account_id, status).await
}

/// The live API keys of the caller's account.
#[server(endpoint = "api_keys", input = Json, output = Postcard)]
pub async fn api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    ssr::api_keys().await
}

/// Makes an API key for the caller's account; the answer is the only time the key is shown.
#[server(endpoint = "create_api_key", input = Json, output = Postcard)]
pub async fn create_api_key(key: NewApiKey) -> Result<CreatedApiKey, AppError> {
    ssr::create_api_key(key).await
}

/// Revokes one of the caller's account's API keys, at once.
#[server(endpoint = "revoke_api_key", input = Json, output = Postcard)]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    ssr::revoke_api_key(id).await
}

/// The rules watching the caller's own account or one of its direct sub-accounts.
#[server(endpoint = "alert_settings", input = Json, output = Postcard)]
pub async fn alert_settings(account_id: i64) -> Result<BalanceRules, AppError> {
    ssr::alert_settings(account_id).await
}

/// Sets the rules watching the caller's own account (an alert only) or one of its direct
/// sub-accounts, and answers with them as saved.
#[server(endpoint = "save_alert_settings", input = Json, output = Postcard)]
pub async fn save_alert_settings(
    account_id: i64,
    form: BalanceRulesForm,
) -> Result<BalanceRules, AppError> {
    ssr::save_alert_settings(account_id, form).await
}

/// The caller's alerts, newest first.
#[server(endpoint = "alerts", input = Json, output = Postcard)]
pub async fn alerts() -> Result<Vec<Alert>, AppError> {
    ssr::alerts().await
}

/// How many of the caller's alerts it has not seen yet.
#[server(endpoint = "unread_alerts", input = Json, output = Postcard)]
pub async fn unread_alerts() -> Result<i64, AppError> {
    ssr::unread_alerts().await
}

/// Marks the caller's alerts up to `newest` (an alert id) as seen.
#[server(endpoint = "mark_alerts_read", input = Json, output = Postcard)]
pub async fn mark_alerts_read(newest: i64) -> Result<(), AppError> {
    ssr::mark_alerts_read(newest).await
}

/// The caller's webhook, if it has one (never its secret).
#[server(endpoint = "webhook", input = Json, output = Postcard)]
pub async fn webhook() -> Result<Option<WebhookSummary>, AppError> {
    ssr::webhook().await
}

/// Sends the caller's events to `url`, signed with a new secret: the answer is the only time the
/// secret is shown.
#[server(endpoint = "set_webhook", input = Json, output = Postcard)]
pub async fn set_webhook(url: String) -> Result<CreatedWebhook, AppError> {
    ssr::set_webhook(url).await
}

/// Stops sending the caller's events anywhere.
#[server(endpoint = "remove_webhook", input = Json, output = Postcard)]
pub async fn remove_webhook() -> Result<(), AppError> {
    ssr::remove_webhook().await
}

/// The caller's webhook deliveries, newest first.
#[server(endpoint = "webhook_deliveries", input = Json, output = Postcard)]
pub async fn webhook_deliveries() -> Result<Vec<Delivery>, AppError> {
    ssr::webhook_deliveries().await
}

/// The attempts at the caller's webhook deliveries, newest first.
#[server(endpoint = "webhook_attempts", input = Json, output = Postcard)]
pub async fn webhook_attempts() -> Result<Vec<DeliveryAttempt>, AppError> {
    ssr::webhook_attempts().await
}

/// Queues one of the caller's deliveries again, now.
#[server(endpoint = "send_again", input = Json, output = Postcard)]
pub async fn send_again(delivery_id: i64) -> Result<(), AppError> {
    ssr::send_again(delivery_id).await
}
