//! The server side of the server functions: who is calling, parse, one ledger call, convert.
//!
//! Nothing here decides who may see or do what: the ledger does, given the caller as an `Actor`.
//! Every function is instrumented with the caller's login and account (never a password or token).

use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use ledger::{
    AccountId, AccountName, Actor, ApiKeyName, Credits, IdempotencyKey, KeyId, Ledger, Login, Note,
    Password, Scopes, SignedIn, TransferKind, TransferRequest, WebhookUrl,
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::field::Empty;

use crate::error::AppError;
use crate::model::{
    ALERTS_PAGE, AccountKind, AccountStatus, AccountSummary, AccountTransfer, Alert, ApiKeySummary,
    BalancePoint, BalanceRules, BalanceRulesForm, CHART_POINTS, CreatedApiKey, CreatedWebhook,
    CreditChange, CreditRequest, Delivery, DeliveryAttempt, NewApiKey, NewSubAccount,
    PasswordChange, SubAccountList, SubAccountView, TRANSFER_LIST_PAGE, TRANSFERS_PAGE,
    TransferList, TransferReceipt, TransferView, WEBHOOK_ROWS, WebhookSummary,
};
use crate::movements::{Channel, counted};
use crate::server_fns::convert::{internal, sub_account_query, summary, transfer_query};
use crate::session::{self, ClientAddress, SessionCookie};
use crate::state::AppState;

/// The signed-in caller of this request, with the ledger to act on.
struct Caller {
    ledger: Ledger,
    actor: Actor,
}

/// The session the HTTP layer resolved for this request, recorded on the current span. Refused
/// while the user has to replace a password someone else set: until then only `my_account`,
/// `change_password` and `sign_out` serve them.
fn caller() -> Result<Caller, AppError> {
    let (caller, must_change_password) = signed_in_caller()?;
    if must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(caller)
}

/// The caller, even before they replaced a password someone else set.
fn caller_before_password_change() -> Result<Caller, AppError> {
    signed_in_caller().map(|(caller, _)| caller)
}

fn signed_in_caller() -> Result<(Caller, bool), AppError> {
    let signed_in = request_parts()?
        .extensions
        .get::<SignedIn>()
        .cloned()
        .ok_or(AppError::Unauthenticated)?;
    let span = tracing::Span::current();
    span.record("login", signed_in.login.as_str());
    span.record("account", signed_in.account.0);
    let caller = Caller {
        ledger: ledger()?,
        actor: Actor::from(&signed_in),
    };
    Ok((caller, signed_in.must_change_password))
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn sign_in(login: String, password: String) -> Result<String, AppError> {
    let parts = request_parts()?;
    let grant = ledger()?
        .sign_in(&login, &password, &client_address(&parts))
        .await?;
    let span = tracing::Span::current();
    span.record("login", grant.signed_in.login.as_str());
    span.record("account", grant.signed_in.account.0);
    response()?.insert_header(
        SET_COOKIE,
        session_cookie(&parts)?.set(&grant.token, grant.lifetime),
    );
    Ok(session::landing_path(&grant.signed_in).to_owned())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn change_password(change: PasswordChange) -> Result<String, AppError> {
    let caller = caller_before_password_change()?;
    change.check()?;
    let new = Password::parse(&change.new_password)?;
    let parts = request_parts()?;
    let session = session_cookie(&parts)?
        .token(&parts.headers)
        .ok_or(AppError::Unauthenticated)?;
    caller
        .ledger
        .change_password(
            &caller.actor,
            &session,
            &change.current_password,
            &new,
            &client_address(&parts),
        )
        .await?;
    Ok(AccountKind::from(caller.actor.kind())
        .landing_path()
        .to_owned())
}

#[tracing::instrument(skip_all)]
pub async fn sign_out() -> Result<(), AppError> {
    let parts = request_parts()?;
    let cookie = session_cookie(&parts)?;
    if let Some(token) = cookie.token(&parts.headers) {
        ledger()?.sign_out(&token).await?;
    }
    response()?.insert_header(SET_COOKIE, cookie.clear());
    Ok(())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn my_account() -> Result<AccountSummary, AppError> {
    let caller = caller_before_password_change()?;
    let account = caller.ledger.own_account(&caller.actor).await?;
    Ok(summary(account, Some(caller.actor.name().to_owned())))
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn sub_accounts() -> Result<Vec<AccountSummary>, AppError> {
    let caller = caller()?;
    let sub_accounts = caller.ledger.sub_accounts(&caller.actor).await?;
    Ok(sub_accounts.into_iter().map(AccountSummary::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn sub_account_page(view: SubAccountView) -> Result<SubAccountList, AppError> {
    let caller = caller()?;
    let query = sub_account_query(&view)?;
    let page = caller
        .ledger
        .sub_account_page(&caller.actor, &query)
        .await?;
    Ok(page.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, of = view.account))]
pub async fn transfer_page(view: TransferView) -> Result<TransferList, AppError> {
    let caller = caller()?;
    let query = transfer_query(&view, TRANSFER_LIST_PAGE)?;
    let page = caller.ledger.transfer_page(&caller.actor, &query).await?;
    Ok(page.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, of = view.account))]
pub async fn balance_history(view: TransferView) -> Result<Vec<BalancePoint>, AppError> {
    let caller = caller()?;
    let query = transfer_query(&view, TRANSFER_LIST_PAGE)?;
    let points = caller
        .ledger
        .balance_history(
            &caller.actor,
            query.account,
            query.since,
            query.until,
            CHART_POINTS,
        )
        .await?;
    Ok(points.into_iter().map(BalancePoint::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, sub_account = request.sub_account_id))]
pub async fn transfer_credits(request: CreditRequest) -> Result<TransferReceipt, AppError> {
    let caller = caller()?;
    let change = CreditChange::parse(&request.credits)?;
    let sub_account = AccountId(request.sub_account_id);
    let transfer_request = TransferRequest {
        sub_account,
        credits: Credits::new(change.amount())?,
        note: Note::parse(&request.note)?,
        key: IdempotencyKey::parse(&request.request_id).map_err(|_| AppError::BadRequest)?,
    };
    let (ledger, actor) = (&caller.ledger, &caller.actor);
    let transfer = match change {
        CreditChange::Give(_) => counted(
            TransferKind::Grant,
            Channel::Ui,
            ledger.grant(actor, &transfer_request).await,
        )?,
        CreditChange::Revoke(_) => counted(
            TransferKind::Revoke,
            Channel::Ui,
            ledger.revoke(actor, &transfer_request).await,
        )?,
    };
    let balance_of = |account| {
        transfer.balance_after(account).ok_or_else(|| {
            internal(&ledger::StoreError::Corrupt(
                "a transfer without its parties".into(),
            ))
        })
    };
    Ok(TransferReceipt {
        transfer_id: transfer.id,
        sub_account_id: request.sub_account_id,
        sub_account_balance: balance_of(sub_account)?,
        own_balance: balance_of(caller.actor.account())?,
    })
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, of = account_id))]
pub async fn account_transfers(
    account_id: Option<i64>,
    before: Option<i64>,
) -> Result<Vec<AccountTransfer>, AppError> {
    let caller = caller()?;
    let transfers = caller
        .ledger
        .account_transfers(
            &caller.actor,
            account_id.map(AccountId),
            before,
            TRANSFERS_PAGE,
        )
        .await?;
    Ok(transfers.into_iter().map(AccountTransfer::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn create_sub_account(account: NewSubAccount) -> Result<AccountSummary, AppError> {
    let caller = caller()?;
    let account = ledger::NewSubAccount {
        kind: account.kind.into(),
        name: AccountName::parse(&account.name)?,
        login: Login::parse(&account.login).map_err(|_| AppError::InvalidLogin)?,
        password: Password::parse(&account.password)?,
    };
    let opened = caller
        .ledger
        .open_sub_account(&caller.actor, &account)
        .await?;
    Ok(opened.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, sub_account = account_id))]
pub async fn rename_sub_account(account_id: i64, name: String) -> Result<AccountSummary, AppError> {
    let caller = caller()?;
    let name = AccountName::parse(&name)?;
    let renamed = caller
        .ledger
        .rename_sub_account(&caller.actor, AccountId(account_id), &name)
        .await?;
    Ok(renamed.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, sub_account = account_id))]
pub async fn set_sub_account_status(
    account_id: i64,
    status: AccountStatus,
) -> Result<AccountSummary, AppError> {
    let caller = caller()?;
    let changed = caller
        .ledger
        .set_sub_account_status(&caller.actor, AccountId(account_id), status.into())
        .await?;
    Ok(changed.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    let caller = caller()?;
    let keys = caller.ledger.api_keys(&caller.actor).await?;
    Ok(keys.into_iter().map(ApiKeySummary::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn create_api_key(key: NewApiKey) -> Result<CreatedApiKey, AppError> {
    let caller = caller()?;
    let name = ApiKeyName::parse(&key.name)?;
    let scopes: Scopes = key.scopes.into_iter().map(ledger::Scope::from).collect();
    let made = caller
        .ledger
        .create_api_key(&caller.actor, &name, scopes)
        .await?;
    Ok(CreatedApiKey {
        secret: made.secret.expose().to_owned(),
        name: made.key.name,
    })
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, key = id))]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let caller = caller()?;
    caller
        .ledger
        .revoke_api_key(&caller.actor, KeyId(id))
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, of = account_id))]
pub async fn alert_settings(account_id: i64) -> Result<BalanceRules, AppError> {
    let caller = caller()?;
    let rules = caller
        .ledger
        .balance_rules(&caller.actor, AccountId(account_id))
        .await?;
    Ok(rules.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, of = account_id))]
pub async fn save_alert_settings(
    account_id: i64,
    form: BalanceRulesForm,
) -> Result<BalanceRules, AppError> {
    let caller = caller()?;
    let typed = form.parse()?;
    let rules = ledger::BalanceRules::new(
        typed.alert_below,
        typed.replenish.map(|rule| ledger::Replenish {
            below: rule.below,
            up_to: rule.up_to,
        }),
    )?;
    caller
        .ledger
        .set_balance_rules(&caller.actor, AccountId(account_id), &rules)
        .await?;
    Ok(rules.into())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn alerts() -> Result<Vec<Alert>, AppError> {
    let caller = caller()?;
    let alerts = caller.ledger.alerts(&caller.actor, ALERTS_PAGE).await?;
    Ok(alerts.into_iter().map(Alert::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn unread_alerts() -> Result<i64, AppError> {
    let caller = caller()?;
    Ok(caller.ledger.unread_alerts(&caller.actor).await?)
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, newest = newest))]
pub async fn mark_alerts_read(newest: i64) -> Result<(), AppError> {
    let caller = caller()?;
    caller
        .ledger
        .mark_alerts_read(&caller.actor, newest)
        .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn webhook() -> Result<Option<WebhookSummary>, AppError> {
    let caller = caller()?;
    let webhook = caller.ledger.webhook(&caller.actor).await?;
    Ok(webhook.map(WebhookSummary::from))
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn set_webhook(url: String) -> Result<CreatedWebhook, AppError> {
    let caller = caller()?;
    let url = WebhookUrl::parse(&url)?;
    let secret = caller.ledger.set_webhook(&caller.actor, &url).await?;
    Ok(CreatedWebhook {
        url: url.as_str().to_owned(),
        secret: secret.expose().to_owned(),
    })
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn remove_webhook() -> Result<(), AppError> {
    let caller = caller()?;
    caller.ledger.remove_webhook(&caller.actor).await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn webhook_deliveries() -> Result<Vec<Delivery>, AppError> {
    let caller = caller()?;
    let deliveries = caller
        .ledger
        .webhook_deliveries(&caller.actor, WEBHOOK_ROWS)
        .await?;
    Ok(deliveries.into_iter().map(Delivery::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty))]
pub async fn webhook_attempts() -> Result<Vec<DeliveryAttempt>, AppError> {
    let caller = caller()?;
    let attempts = caller
        .ledger
        .webhook_attempts(&caller.actor, WEBHOOK_ROWS)
        .await?;
    Ok(attempts.into_iter().map(DeliveryAttempt::from).collect())
}

#[tracing::instrument(skip_all, fields(login = Empty, account = Empty, delivery = delivery_id))]
pub async fn send_again(delivery_id: i64) -> Result<(), AppError> {
    let caller = caller()?;
    caller.ledger.send_again(&caller.actor, delivery_id).await?;
    Ok(())
}

fn ledger() -> Result<Ledger, AppError> {
    use_context::<AppState>()
        .map(|state| state.ledger)
        .ok_or_else(|| internal(&MissingContext("AppState")))
}

/// The address the request came from, as the HTTP layer resolved it: what sign-in throttling counts.
fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ClientAddress>()
        .map_or_else(|| "unknown".to_owned(), |address| address.0.clone())
}

fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| internal(&MissingContext("the request")))
}

/// The session cookie as the HTTP layer decided this site sets it (`Secure` or not).
fn session_cookie(parts: &Parts) -> Result<SessionCookie, AppError> {
    parts
        .extensions
        .get::<SessionCookie>()
        .copied()
        .ok_or_else(|| internal(&MissingContext("the session cookie")))
}

fn response() -> Result<ResponseOptions, AppError> {
    use_context::<ResponseOptions>().ok_or_else(|| internal(&MissingContext("the response")))
}

/// A server function called outside the request context leptos_axum provides: a wiring bug.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not in the server function's context")]
struct MissingContext(&'static str);
