//! The Creditdesk ledger: accounts in one tree, whole-number balances, and immutable transfers.
//!
//! The only crate that speaks SQL. It knows nothing of HTTP or of the UI: callers hand it the acting
//! [`Actor`] (or [`Operator`]) first, then validated values (`Credits`, `Note`, `IdempotencyKey`),
//! and get back domain results or typed errors. Every rule of who may see or do what lives here.

pub mod accounts;
pub mod actor;
pub mod alerts;
pub mod api_keys;
pub mod clock;
pub mod db;
mod group_commit;
pub mod live;
pub mod paging;
pub mod scratch;
pub mod seed;
pub mod sessions;
pub mod sub_account_pages;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transfer_pages;
pub mod transfers;
pub mod users;
pub mod values;
pub mod verify;
pub mod webhooks;
pub mod worked_example;

pub use accounts::{
    Account, AccountId, AccountKind, AccountStatus, ManageError, NewSubAccount, OpenAccountError,
    ReadError, SubAccount,
};
pub use actor::{Actor, Operator};
pub use alerts::{Alert, AlertKind, BalanceRules, Replenish, RulesError};
pub use api_keys::{
    ApiKey, ApiKeyError, ApiKeyName, ApiKeyNameError, ApiKeySecret, KeyId, NewApiKey, Scope,
    ScopeError, Scopes,
};
pub use clock::Clock;
pub use db::{Backend, ConnectError, DbSettings};
pub use group_commit::{BatchTimes, GroupCommitStats};
pub use live::BalanceChange;
pub use paging::{MAX_PAGE_ROWS, SearchText};
pub use scratch::ScratchDatabase;
pub use seed::{SeedError, SeedPlan, SeedProgress, SeedReport};
pub use sessions::{
    ActiveSession, SessionGrant, SessionPolicy, SessionToken, SignInError, SignedIn,
};
pub use sub_account_pages::{
    CursorError, SortDirection, SubAccountCursor, SubAccountPage, SubAccountQuery, SubAccountSort,
};
pub use transfer_pages::{
    BalancePoint, EXPORT_CHUNK_ROWS, TransferCursor, TransferExport, TransferPage, TransferQuery,
};
pub use transfers::{
    AccountTransfer, Applied, TopUp, Transfer, TransferError, TransferKind, TransferRequest,
    TransferSeen, UsageDebit,
};
pub use users::{
    ChangePasswordError, Login, LoginError, Password, PasswordError, SetPasswordError,
};
pub use values::{
    AccountName, AccountNameError, Credits, CreditsError, IdempotencyKey, IdempotencyKeyError,
    MAX_CREDITS_PER_TRANSFER, MAX_NAME_CHARS, MAX_NOTE_CHARS, Note, NoteError,
};
pub use verify::{Drift, OutsideTheTree, TreeRule, VerifyReport, WrongBalanceAfter};
pub use webhooks::{
    Delivery, DeliveryAttempt, DeliveryStatus, DueDelivery, PostOutcome, Webhook, WebhookError,
    WebhookSecret, WebhookUrl, WebhookUrlError,
};
pub use worked_example::{DEMO_PASSWORD, WorkedExample, WorkedExampleError};

use db::Db;
use group_commit::Writer;
use live::Commits;

/// A failure of the store itself, not of the request: nothing was changed. The cause is kept as the
/// error's source, so that logs show the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("could not hash a password")]
    Hashing(#[source] argon2::password_hash::Error),
    #[error("a background task stopped")]
    TaskStopped(#[from] tokio::task::JoinError),
}

/// The one handle to the ledger; cheap to clone (it shares the pool).
#[derive(Debug, Clone)]
pub struct Ledger {
    db: Db,
    platform_id: AccountId,
    clock: Clock,
    session_policy: SessionPolicy,
    /// Applies every credit movement, in batches (shared by every clone).
    writer: Writer,
    /// Wakes live readers when movements commit.
    commits: Commits,
}

impl Ledger {
    /// Connects, applies migrations, and finds the platform account.
    pub async fn connect(settings: &DbSettings) -> Result<Self, ConnectError> {
        let db = Db::connect(settings).await?;
        let platform_id: i64 =
            sqlx::query_scalar("SELECT id FROM accounts WHERE kind = 'platform'")
                .fetch_one(db.pool())
                .await
                .map_err(ConnectError::Configure)?;
        let postgres_url = (db.backend() == Backend::Postgres).then(|| settings.url.clone());
        let commits = Commits::new(postgres_url);
        Ok(Self {
            writer: Writer::start(db.clone(), commits.clone()),
            commits,
            db,
            platform_id: AccountId(platform_id),
            clock: Clock::default(),
            session_policy: SessionPolicy::default(),
        })
    }

    /// The same ledger reading time from `clock` (tests move a manual one).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    pub fn with_session_policy(self, session_policy: SessionPolicy) -> Self {
        Self {
            session_policy,
            ..self
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn platform_id(&self) -> AccountId {
        self.platform_id
    }

    /// How credit movements have been grouped into transactions so far.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.writer.stats()
    }

    /// Where the writer's committed batches have spent their time so far.
    pub fn batch_times(&self) -> BatchTimes {
        self.writer.batch_times()
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        self.db.close().await;
    }
}
