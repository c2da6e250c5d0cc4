//! What every test of every crate starts from: a fresh, empty database per test, on the backend
//! named by `TEST_DATABASE_URL`, and the few helpers that grow the worked example's tree.
//!
//! Unset or `sqlite:` gives a new SQLite file in the temp directory. `postgres://…` names a server:
//! each test gets its own database there, dropped when the test ends.

use std::ops::Deref;

use sqlx::{Connection, Executor};

use crate::{
    AccountId, AccountKind, AccountName, Actor, ApiKeyName, ApiKeySecret, Credits, DEMO_PASSWORD,
    IdempotencyKey, Ledger, Login, NewSubAccount, Note, Operator, Password, Scopes,
    ScratchDatabase, TopUp, TransferRequest, UsageDebit,
};

/// The operator that tests act as for set-up and for reading any account.
pub fn operator() -> Operator {
    Operator::new("test")
}

/// Loads the worked example into the test's empty database: where every ledger test starts.
pub async fn worked_example(ledger: &Ledger) -> crate::WorkedExample {
    ledger
        .load_worked_example(&operator())
        .await
        .expect("load the worked example")
}

/// A fresh database with the worked example loaded, and its ledger: the first line of most tests.
/// Keep the database bound until the test ends (`let (_db, ledger, example) = …`): dropping it
/// deletes the database.
pub async fn with_worked_example() -> (TestDatabase, Ledger, crate::WorkedExample) {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let example = worked_example(&ledger).await;
    (db, ledger, example)
}

/// The worked example's other users, and beside them an account of each relation to `direct` that
/// a rule of reach must tell apart from a direct sub-account: a grandchild and another tenant.
#[derive(Debug, Clone)]
pub struct Neighbours {
    pub reseller_one: Actor,
    pub reseller_two: Actor,
    pub customer_one: Actor,
    /// Login `grandchild`: a customer of reseller1's, at 0 credits.
    pub grandchild: Actor,
    /// Login `stranger`: another direct reseller, at 0 credits.
    pub stranger: Actor,
    /// Login `theirs`: the stranger's customer, at 0 credits.
    pub strangers_customer: Actor,
}

/// Opens the [`Neighbours`]' three accounts beside the loaded worked example, and acts as its users.
pub async fn neighbours(ledger: &Ledger) -> Neighbours {
    let reseller_one = actor(ledger, "reseller1").await;
    let grandchild = open(
        ledger,
        &reseller_one,
        AccountKind::Customer,
        "Grandchild",
        "grandchild",
    )
    .await;
    let stranger = open_direct_reseller(ledger, "Stranger", "stranger").await;
    let strangers_customer =
        open(ledger, &stranger, AccountKind::Customer, "Theirs", "theirs").await;
    Neighbours {
        reseller_one,
        reseller_two: actor(ledger, "reseller2").await,
        customer_one: actor(ledger, "customer1").await,
        grandchild,
        stranger,
        strangers_customer,
    }
}

/// The address the helpers' sign-ins come from.
pub const TEST_ADDRESS: &str = "192.0.2.1";

/// Signs in as `login` with the demo password, from [`TEST_ADDRESS`].
pub async fn sign_in(ledger: &Ledger, login: &str) -> crate::SessionGrant {
    ledger
        .sign_in(login, DEMO_PASSWORD, TEST_ADDRESS)
        .await
        .expect("sign in a test user")
}

/// Signs in as `login` with the demo password like [`sign_in`], but runs `meanwhile` after the
/// password was checked and before the session opens: the moment a concurrent password reset can
/// land in, made deterministic.
pub async fn sign_in_interrupted(
    ledger: &Ledger,
    login: &str,
    meanwhile: impl Future<Output = ()>,
) -> Result<crate::SessionGrant, crate::SignInError> {
    let checked = ledger
        .check_password(login, DEMO_PASSWORD, TEST_ADDRESS)
        .await
        .map_err(crate::SignInError::from)?;
    meanwhile.await;
    ledger.open_session(checked).await
}

/// Opens a sub-account under `parent` with the demo password (kept: no change asked), and acts as
/// its user.
pub async fn open(
    ledger: &Ledger,
    parent: &Actor,
    kind: AccountKind,
    name: &str,
    login: &str,
) -> Actor {
    let account = NewSubAccount {
        kind,
        name: AccountName::parse(name).expect("a valid test name"),
        login: Login::parse(login).expect("a valid test login"),
        password: Password::parse(DEMO_PASSWORD).expect("the demo password is valid"),
    };
    ledger
        .open_sub_account(parent, &account)
        .await
        .expect("open a test sub-account");
    keep_demo_password(ledger, login).await;
    actor(ledger, login).await
}

/// Opens another direct reseller (another tenant) with the demo password (kept: no change asked),
/// and acts as its user.
pub async fn open_direct_reseller(ledger: &Ledger, name: &str, login: &str) -> Actor {
    ledger
        .open_direct_reseller(
            &operator(),
            &AccountName::parse(name).expect("a valid test name"),
            &Login::parse(login).expect("a valid test login"),
            &Password::parse(DEMO_PASSWORD).expect("the demo password is valid"),
        )
        .await
        .expect("open a test direct reseller");
    keep_demo_password(ledger, login).await;
    actor(ledger, login).await
}

/// Like the worked example's users, the helpers' users keep the demo password instead of changing
/// it at their first sign-in (tests of that rule open accounts through the ledger itself).
async fn keep_demo_password(ledger: &Ledger, login: &str) {
    ledger
        .keep_password(&Login::parse(login).expect("a valid test login"))
        .await
        .expect("keep the demo password");
}

/// Acts as the user with `login`.
pub async fn actor(ledger: &Ledger, login: &str) -> Actor {
    ledger
        .actor_for(
            &operator(),
            &Login::parse(login).expect("a valid test login"),
        )
        .await
        .expect("read the test user")
        .expect("a known test login")
}

/// Issues `credits` new credits to a direct reseller.
pub async fn top_up(ledger: &Ledger, direct_reseller: AccountId, credits: i64) {
    let top_up = TopUp {
        direct_reseller,
        credits: Credits::new(credits).expect("a valid test amount"),
        note: Note::parse("test top-up").expect("a valid note"),
        key: IdempotencyKey::generate(),
    };
    ledger
        .top_up(&operator(), &top_up)
        .await
        .expect("top up a test account");
}

/// A grant or revoke of `credits` to or from `sub_account`, with a fresh key.
pub fn transfer_request(sub_account: AccountId, credits: i64) -> TransferRequest {
    TransferRequest {
        sub_account,
        credits: Credits::new(credits).expect("a valid test amount"),
        note: Note::parse("test transfer").expect("a valid note"),
        key: IdempotencyKey::generate(),
    }
}

/// Makes an API key for `actor`'s account with `scopes` (`"read,transfer"`), and returns its secret.
pub async fn api_key(ledger: &Ledger, actor: &Actor, name: &str, scopes: &str) -> ApiKeySecret {
    ledger
        .create_api_key(
            actor,
            &ApiKeyName::parse(name).expect("a valid test key name"),
            Scopes::parse(scopes).expect("valid test scopes"),
        )
        .await
        .expect("make a test API key")
        .secret
}

/// Makes an operator key (scope `usage`, acting for the platform), and returns its secret.
pub async fn operator_key(ledger: &Ledger, name: &str) -> ApiKeySecret {
    api_key(ledger, &ledger.platform_actor(&operator()), name, "usage").await
}

/// A usage debit of `credits` from `account`, with a fresh key.
pub fn usage_debit(account: AccountId, credits: i64) -> UsageDebit {
    UsageDebit {
        account,
        credits: Credits::new(credits).expect("a valid test amount"),
        reference: Note::parse("test usage").expect("a valid reference"),
        key: IdempotencyKey::generate(),
    }
}

/// An account's balance now.
pub async fn balance(ledger: &Ledger, account: AccountId) -> i64 {
    ledger
        .account(&operator(), account)
        .await
        .expect("read a test account")
        .expect("a known test account")
        .balance
}

/// A fresh database with the `server seed` dataset: the worked example dated a year ago, then
/// `sub_accounts` sub-accounts of `direct` (every 10th a reseller, every 37th suspended) and
/// `transfers` grants and revokes spread over the year since.
pub async fn seeded(
    sub_accounts: u32,
    transfers: u32,
) -> (TestDatabase, Ledger, crate::SeedReport) {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    let plan = crate::SeedPlan {
        sub_accounts,
        transfers,
    };
    let dataset = ledger
        .seed(&operator(), &plan, |_| {})
        .await
        .expect("seed the test dataset");
    (db, ledger, dataset)
}

/// A transfer's columns and both parties' names, as `all_transfers` reads them.
type TransferLine = (
    i64,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    String,
);

/// Every transfer of `account` as that account sees it, newest first (by time, then id), read with
/// one plain statement behind the ledger's back: the oracle for the ledger's paged reads.
pub async fn all_transfers(db: &TestDatabase, account: AccountId) -> Vec<crate::AccountTransfer> {
    let mut raw = db.raw_connection().await;
    let rows: Vec<TransferLine> = sqlx::query_as(
        "SELECT t.id, t.kind, t.from_account_id, t.to_account_id, t.amount, t.note, t.actor, \
                 t.from_balance_after, t.to_balance_after, t.created_at, f.name, r.name \
             FROM transfers t JOIN accounts f ON f.id = t.from_account_id \
             JOIN accounts r ON r.id = t.to_account_id \
             WHERE t.from_account_id = $1 OR t.to_account_id = $1 \
             ORDER BY t.created_at DESC, t.id DESC",
    )
    .bind(account.0)
    .fetch_all(&mut raw)
    .await
    .expect("read every transfer of the account");
    rows.into_iter()
        .map(
            |(
                id,
                kind,
                from,
                to,
                amount,
                note,
                actor,
                from_after,
                to_after,
                created_at,
                from_name,
                to_name,
            )| {
                let outgoing = from == account.0;
                crate::AccountTransfer {
                    id,
                    kind: kind.parse().expect("a known kind"),
                    counterparty: if outgoing { to_name } else { from_name },
                    counterparty_id: AccountId(if outgoing { to } else { from }),
                    change: if outgoing { -amount } else { amount },
                    balance_after: if outgoing { from_after } else { to_after },
                    note,
                    actor,
                    created_at,
                }
            },
        )
        .collect()
}

/// Asserts that every balance equals the ledger and the total is conserved.
pub async fn assert_verified(ledger: &Ledger) {
    let report = ledger.verify(&operator()).await.expect("verify the ledger");
    assert!(report.is_clean(), "verify found problems: {report:?}");
}

/// The test's own database (a [`ScratchDatabase`] on the backend of `TEST_DATABASE_URL`), removed
/// when dropped.
pub struct TestDatabase(ScratchDatabase);

impl Deref for TestDatabase {
    type Target = ScratchDatabase;

    fn deref(&self) -> &ScratchDatabase {
        &self.0
    }
}

impl TestDatabase {
    pub async fn new() -> Self {
        let server = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        Self(
            ScratchDatabase::create(&server, "creditdesk_test")
                .await
                .expect("TEST_DATABASE_URL must reach a PostgreSQL server that lets us create a database"),
        )
    }

    pub async fn ledger(&self) -> Ledger {
        self.connect().await.expect("connect the test ledger")
    }

    /// A raw connection, for tests that tamper with the data behind the ledger's back.
    pub async fn raw_connection(&self) -> sqlx::AnyConnection {
        sqlx::AnyConnection::connect(&self.settings.url)
            .await
            .expect("open a raw connection")
    }

    /// Runs `statement` behind the ledger's back with its guards (the triggers that keep transfers
    /// immutable and the tree fixed) off: the tampering that `verify` must find.
    pub async fn tamper(&self, statement: &str) {
        let mut raw = self.raw_connection().await;
        if self.settings.url.starts_with("postgres") {
            // Replica mode skips ordinary triggers, for this session only (the test server's
            // user is a superuser).
            raw.execute("SET session_replication_role = replica")
                .await
                .expect("switch triggers off");
            raw.execute(statement).await.expect("tamper");
            return;
        }
        // SQLite cannot switch a trigger off: drop them all and recreate them, in one transaction.
        let triggers: Vec<(String, String)> =
            sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                .fetch_all(&mut raw)
                .await
                .expect("read the triggers");
        let mut tx = raw.begin().await.expect("begin tampering");
        for (name, _) in &triggers {
            tx.execute(format!("DROP TRIGGER {name}").as_str())
                .await
                .expect("drop a trigger");
        }
        tx.execute(statement).await.expect("tamper");
        for (_, sql) in &triggers {
            tx.execute(sql.as_str()).await.expect("recreate a trigger");
        }
        tx.commit().await.expect("commit the tampering");
    }
}
