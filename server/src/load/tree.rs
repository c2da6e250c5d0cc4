//! The tree the load runs on, built through the ledger like any other: a direct reseller topped
//! up; a few hot resellers under it, each with many customers (every move of theirs writes the
//! same parent row); and customers spread directly under the direct reseller. Then API keys: one
//! per parent with the `transfer` scope, and an operator key with `usage`.

use ledger::{
    AccountId, AccountKind, AccountName, Actor, ApiKeyName, Credits, IdempotencyKey, Ledger, Login,
    MAX_CREDITS_PER_TRANSFER, NewSubAccount, Note, Password, Scopes, TopUp, TransferRequest,
};

use crate::operator::operator;

/// How big a tree to build, and how many credits each account starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreePlan {
    pub hot_resellers: usize,
    pub customers_per_hot_reseller: usize,
    pub spread_customers: usize,
    /// What each hot reseller gets from the direct reseller.
    pub hot_reseller_credits: i64,
    /// What each customer gets from its parent.
    pub customer_credits: i64,
}

impl TreePlan {
    /// For measuring: refusals for lack of credits stay rare over a long run.
    pub const BENCH: Self = Self {
        hot_resellers: 4,
        customers_per_hot_reseller: 25,
        spread_customers: 32,
        hot_reseller_credits: 10_000_000,
        customer_credits: 100_000,
    };

    /// For the crash test: small, and customers short enough that some movements are refused for
    /// lack of credits (a refusal is an answer too, and must survive a crash like any other).
    pub const CRASH: Self = Self {
        hot_resellers: 2,
        customers_per_hot_reseller: 4,
        spread_customers: 4,
        hot_reseller_credits: 1_000_000,
        customer_credits: 10,
    };
}

/// An account whose key moves credits to and from its direct sub-accounts.
#[derive(Debug, Clone)]
pub struct Parent {
    pub account: AccountId,
    /// The login of its user, who holds the key.
    pub login: String,
    /// Its key's name: the ledger records "API key: <name>" as the actor.
    pub key_name: String,
    pub sub_accounts: Vec<AccountId>,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub platform: AccountId,
    /// The direct reseller first, then the hot resellers.
    pub parents: Vec<Parent>,
    /// Every customer (hot resellers' and spread ones): the accounts usage is charged to.
    pub customers: Vec<AccountId>,
}

/// The secrets of the keys [`make_keys`] made, in the order of [`Tree::parents`].
#[derive(Debug, Clone)]
pub struct Keys {
    pub parents: Vec<String>,
    pub operator: String,
}

/// The operator key's name.
pub const USAGE_KEY_NAME: &str = "load-usage";

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error(transparent)]
    Open(#[from] ledger::OpenAccountError),
    #[error(transparent)]
    Transfer(#[from] ledger::TransferError),
    #[error(transparent)]
    ApiKey(#[from] ledger::ApiKeyError),
    #[error(transparent)]
    Store(#[from] ledger::StoreError),
    #[error("a name, login, note or amount of the tree is invalid: {0}")]
    Invalid(String),
    #[error("no user has the login {0}")]
    UnknownLogin(String),
}

/// Builds the tree of `plan` in an empty database.
pub async fn build(ledger: &Ledger, plan: &TreePlan) -> Result<Tree, TreeError> {
    let password = Password::generate();
    let direct_login = "load-direct";
    ledger
        .open_direct_reseller(
            &operator(),
            &name("Load Direct")?,
            &login(direct_login)?,
            &password,
        )
        .await?;
    let direct = actor(ledger, direct_login).await?;
    let top_up = TopUp {
        direct_reseller: direct.account(),
        credits: credits(MAX_CREDITS_PER_TRANSFER)?,
        note: note("load test")?,
        key: IdempotencyKey::generate(),
    };
    ledger.top_up(&operator(), &top_up).await?;

    let mut parents = vec![Parent {
        account: direct.account(),
        login: direct_login.to_owned(),
        key_name: "load-0".to_owned(),
        sub_accounts: Vec::new(),
    }];
    let mut customers = Vec::new();
    for hot in 1..=plan.hot_resellers {
        let hot_login = format!("load-hot-{hot}");
        let reseller = open(
            ledger,
            &direct,
            AccountKind::Reseller,
            &hot_login,
            &password,
            plan.hot_reseller_credits,
        )
        .await?;
        parents[0].sub_accounts.push(reseller.account());
        let mut parent = Parent {
            account: reseller.account(),
            login: hot_login,
            key_name: format!("load-{hot}"),
            sub_accounts: Vec::new(),
        };
        for customer in 1..=plan.customers_per_hot_reseller {
            let customer_login = format!("load-hot-{hot}-customer-{customer}");
            let opened = open(
                ledger,
                &reseller,
                AccountKind::Customer,
                &customer_login,
                &password,
                plan.customer_credits,
            )
            .await?;
            parent.sub_accounts.push(opened.account());
            customers.push(opened.account());
        }
        parents.push(parent);
    }
    for spread in 1..=plan.spread_customers {
        let opened = open(
            ledger,
            &direct,
            AccountKind::Customer,
            &format!("load-spread-{spread}"),
            &password,
            plan.customer_credits,
        )
        .await?;
        parents[0].sub_accounts.push(opened.account());
        customers.push(opened.account());
    }
    Ok(Tree {
        platform: ledger.platform_id(),
        parents,
        customers,
    })
}

/// One `transfer` key per parent and an operator `usage` key.
pub async fn make_keys(ledger: &Ledger, tree: &Tree) -> Result<Keys, TreeError> {
    let mut parents = Vec::with_capacity(tree.parents.len());
    for parent in &tree.parents {
        let holder = actor(ledger, &parent.login).await?;
        parents.push(key(ledger, &holder, &parent.key_name, "transfer").await?);
    }
    let platform = ledger.platform_actor(&operator());
    let operator = key(ledger, &platform, USAGE_KEY_NAME, "usage").await?;
    Ok(Keys { parents, operator })
}

async fn key(
    ledger: &Ledger,
    holder: &Actor,
    name: &str,
    scopes: &str,
) -> Result<String, TreeError> {
    let name = ApiKeyName::parse(name).map_err(|error| TreeError::Invalid(error.to_string()))?;
    let scopes = Scopes::parse(scopes).map_err(|error| TreeError::Invalid(error.to_string()))?;
    let made = ledger.create_api_key(holder, &name, scopes).await?;
    Ok(made.secret.expose().to_owned())
}

/// Opens a sub-account of `parent` whose user has `login` (also its name), and grants it `credits`.
async fn open(
    ledger: &Ledger,
    parent: &Actor,
    kind: AccountKind,
    login_text: &str,
    password: &Password,
    credits_granted: i64,
) -> Result<Actor, TreeError> {
    let account = NewSubAccount {
        kind,
        name: name(login_text)?,
        login: login(login_text)?,
        password: password.clone(),
    };
    ledger.open_sub_account(parent, &account).await?;
    let opened = actor(ledger, login_text).await?;
    let grant = TransferRequest {
        sub_account: opened.account(),
        credits: credits(credits_granted)?,
        note: note("load test")?,
        key: IdempotencyKey::generate(),
    };
    ledger.grant(parent, &grant).await?;
    Ok(opened)
}

pub async fn actor(ledger: &Ledger, login_text: &str) -> Result<Actor, TreeError> {
    ledger
        .actor_for(&operator(), &login(login_text)?)
        .await?
        .ok_or_else(|| TreeError::UnknownLogin(login_text.to_owned()))
}

fn name(text: &str) -> Result<AccountName, TreeError> {
    AccountName::parse(text).map_err(|error| TreeError::Invalid(error.to_string()))
}

fn login(text: &str) -> Result<Login, TreeError> {
    Login::parse(text).map_err(|_| TreeError::Invalid(text.to_owned()))
}

fn note(text: &str) -> Result<Note, TreeError> {
    Note::parse(text).map_err(|error| TreeError::Invalid(error.to_string()))
}

fn credits(amount: i64) -> Result<Credits, TreeError> {
    Credits::new(amount).map_err(|error| TreeError::Invalid(error.to_string()))
}
