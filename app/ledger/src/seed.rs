//! A realistic dataset for measuring and for tests at scale: many sub-accounts under the worked
//! example's direct reseller, and many transfers between them over the past year, made through the
//! ledger's own rules.
//!
//! The direct reseller gets the planned number of sub-accounts (every 10th a reseller, with two
//! customers of its own); they are opened in batches (one transaction per [`SEED_BATCH`] accounts)
//! at zero credits, with names and logins parsed like any other and the tree's shape checked; all
//! their users share the demo password, hashed once. Every transfer is an ordinary grant or revoke,
//! by the direct reseller or by one of its resellers to its customers (conditional updates,
//! idempotency key, balances after), so `verify` holds throughout. The same plan always makes the
//! same dataset.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::{AccountId, AccountKind, AccountStatus, ManageError, OpenAccountError};
use crate::actor::{Actor, Operator};
use crate::clock::{Clock, millis};
use crate::transfers::{TopUp, TransferError, TransferRequest};
use crate::users::{Login, Password, hash_password};
use crate::values::{AccountName, Credits, IdempotencyKey, MAX_CREDITS_PER_TRANSFER, Note};
use crate::worked_example::{DEMO_PASSWORD, WorkedExampleError};
use crate::{Ledger, StoreError};

/// Sub-accounts opened per transaction.
pub const SEED_BATCH: usize = 1_000;

/// How much to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedPlan {
    pub sub_accounts: u32,
    pub transfers: u32,
}

/// How far a seed has got, reported after every batch of accounts and every 1% of transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedProgress {
    SubAccounts { done: u32, of: u32 },
    Transfers { done: u32, of: u32 },
}

/// What a seed made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// The direct reseller (login `direct`) everything was made under.
    pub direct: Actor,
    /// Its new sub-accounts, in the order they were opened.
    pub sub_accounts: Vec<AccountId>,
    /// The customers of those of them that are resellers.
    pub their_customers: Vec<AccountId>,
    pub transfers: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database has accounts beyond the demo's; seed an empty database or one with the demo only"
    )]
    NotTheDemo,
    /// Dating every account and every transfer apart, in the order they are made, needs a
    /// millisecond each (accounts over the first half of the time, transfers over all of it).
    #[error(
        "the demo's last transfer is too recent: the seed needs {needed} ms after it to date every account and transfer apart, and has {room} ms; seed an empty database (it then dates the demo a year back)"
    )]
    NoRoom { needed: i64, room: i64 },
    #[error(transparent)]
    Demo(#[from] WorkedExampleError),
    #[error(transparent)]
    Open(#[from] OpenAccountError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SeedError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// One year, the span the dataset's transfers cover.
const SPAN: Duration = Duration::from_secs(365 * 24 * 3600);
/// Every so many sub-accounts is a reseller; the others are customers.
const RESELLER_EVERY: u32 = 10;
/// Customers each seeded reseller opens.
const CUSTOMERS_PER_RESELLER: u32 = 2;
/// Every so many sub-accounts is suspended (after the transfers, holding credits).
const SUSPENDED_EVERY: u32 = 37;

const FIRST: [&str; 24] = [
    "Acme",
    "Blue",
    "Northwind",
    "Summit",
    "Harbor",
    "Cedar",
    "Atlas",
    "Nimbus",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Silver",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Zenith",
    "Amber",
    "Beacon",
    "Coral",
    "Delta",
    "Ember",
    "Falcon",
];
const SECOND: [&str; 16] = [
    "Telecom",
    "Media",
    "Retail",
    "Logistics",
    "Health",
    "Travel",
    "Foods",
    "Motors",
    "Energy",
    "Studios",
    "Clinic",
    "Bank",
    "Hotels",
    "Pharmacy",
    "Courier",
    "Games",
];
const NOTES: [&str; 8] = [
    "Monthly allowance",
    "June order",
    "Campaign credits",
    "Promo credits",
    "Top-up by phone",
    "Refund for unused credits",
    "Seasonal campaign",
    "Trial credits",
];

impl Ledger {
    /// Opens `plan.sub_accounts` sub-accounts under the worked example's direct reseller and makes
    /// `plan.transfers` grants and revokes in its tree. An empty database gets the worked example
    /// first, dated a year ago, and the transfers spread over the year since; on a database that
    /// already holds the example they spread from its last transfer to now.
    ///
    /// Errors: `NotTheDemo` when the database holds any account besides the worked example's;
    /// `NoRoom`, before anything is written, when its last transfer leaves less than a millisecond
    /// for each transfer, or for each account in the first half of the time (a demo loaded just now).
    pub async fn seed(
        &self,
        operator: &Operator,
        plan: &SeedPlan,
        mut progress: impl FnMut(SeedProgress),
    ) -> Result<SeedReport, SeedError> {
        let end = self.clock.now();
        let year_ago = end - millis(SPAN);
        let direct = self.demo_direct_reseller(operator, year_ago).await?;
        // After every transfer already made: balances after each transfer then read in time order.
        let start = self
            .latest_transfer_at()
            .await?
            .map_or(year_ago, |latest| latest.max(year_ago) + 1);
        // Ties would leave the transfers page and the grid's date order to the ids alone, and a
        // dataset no reseller has.
        let needed = i64::from(plan.transfers).max(2 * i64::from(plan.sub_accounts));
        let room = end - start;
        if room < needed {
            return Err(SeedError::NoRoom { needed, room });
        }
        let mut rng = StdRng::seed_from_u64(u64::from(plan.sub_accounts) ^ 0x5eed);
        let mut tree = self
            .open_seed_accounts(
                &direct,
                plan.sub_accounts,
                (start, end),
                &mut rng,
                &mut progress,
            )
            .await?;

        // The direct reseller's own credits, issued by the operator before the first grant.
        let clock = Clock::manual(start);
        let ledger = self.clone().with_clock(clock.clone());
        ledger
            .top_up(
                operator,
                &TopUp {
                    direct_reseller: direct.account(),
                    credits: seed_value(Credits::new(MAX_CREDITS_PER_TRANSFER)),
                    note: seed_value(Note::parse("Seed opening balance")),
                    key: IdempotencyKey::generate(),
                },
            )
            .await?;
        let step = (end - start) / i64::from(plan.transfers.max(1));
        let report_every = (plan.transfers / 100).max(1);
        for done in 0..plan.transfers {
            clock.advance(Duration::from_millis(u64::try_from(step).unwrap_or(0)));
            if tree.is_empty() {
                break;
            }
            // Only accounts opened by now take part: they open over the first half of the year.
            let open_by_now = (tree.len() as u64 * (u64::from(done) * 2 + 2)
                / u64::from(plan.transfers.max(1)))
            .clamp(1, tree.len() as u64) as usize;
            let note = match rng.gen_range(0..10) {
                0..=2 => format!("Invoice INV-{:06}", rng.gen_range(0..1_000_000)),
                n => NOTES[(n + done as usize) % NOTES.len()].to_owned(),
            };
            let child = &mut tree[rng.gen_range(0..open_by_now)];
            // A reseller passing credits on to one of its customers, or the direct reseller to it.
            let (parent, holder) = match child.reseller.as_mut() {
                Some((reseller, customers)) if child.balance > 0 && rng.gen_bool(0.25) => {
                    let customer = rng.gen_range(0..customers.len());
                    (
                        &*reseller,
                        SeedHolder::Customer(&mut child.balance, &mut customers[customer]),
                    )
                }
                _ => (&direct, SeedHolder::Child(&mut child.balance, child.id)),
            };
            holder
                .move_credits(&ledger, parent, &note, &mut rng)
                .await?;
            if (done + 1).is_multiple_of(report_every) || done + 1 == plan.transfers {
                progress(SeedProgress::Transfers {
                    done: done + 1,
                    of: plan.transfers,
                });
            }
        }
        // Suspended last, so that they hold credits like any other (which can still be revoked).
        for child in tree
            .iter()
            .skip(SUSPENDED_EVERY as usize - 1)
            .step_by(SUSPENDED_EVERY as usize)
        {
            self.set_sub_account_status(&direct, child.id, AccountStatus::Suspended)
                .await
                .map_err(|error| match error {
                    ManageError::SubAccountNotFound => {
                        StoreError::Corrupt(format!("seeded account {} is missing", child.id))
                    }
                    ManageError::OwnAccountSuspended => {
                        StoreError::Corrupt("the seeding direct reseller is suspended".into())
                    }
                    ManageError::Store(error) => error,
                })?;
        }
        tracing::info!(
            sub_accounts = tree.len(),
            transfers = plan.transfers,
            "dataset seeded"
        );
        Ok(SeedReport {
            direct,
            their_customers: tree
                .iter()
                .filter_map(|child| child.reseller.as_ref())
                .flat_map(|(_, customers)| customers.iter().map(|(id, _)| *id))
                .collect(),
            sub_accounts: tree.into_iter().map(|child| child.id).collect(),
            transfers: plan.transfers,
        })
    }

    /// The worked example's direct reseller, loading the example (dated `at`) into an empty database.
    async fn demo_direct_reseller(&self, operator: &Operator, at: i64) -> Result<Actor, SeedError> {
        match self.count_accounts().await? {
            0 => {
                let dated = self.clone().with_clock(Clock::manual(at));
                Ok(dated.load_worked_example(operator).await?.direct)
            }
            4 => {
                let login = seed_value(Login::parse("direct"));
                self.actor_for(operator, &login)
                    .await?
                    .filter(|direct| direct.kind() == AccountKind::DirectReseller)
                    .ok_or(SeedError::NotTheDemo)
            }
            _ => Err(SeedError::NotTheDemo),
        }
    }

    async fn latest_transfer_at(&self) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT MAX(created_at) FROM transfers")
            .fetch_one(self.db.pool())
            .await
    }

    /// Opens `count` sub-accounts under `direct`, and their resellers' customers, over the first
    /// half of the time from `start` to `end`.
    async fn open_seed_accounts(
        &self,
        direct: &Actor,
        count: u32,
        (start, end): (i64, i64),
        rng: &mut StdRng,
        progress: &mut impl FnMut(SeedProgress),
    ) -> Result<Vec<SeedChild>, SeedError> {
        let password_hash = hash_password(&seed_value(Password::parse(DEMO_PASSWORD))).await?;
        let first_half = (end - start) / 2;
        let mut tree = Vec::with_capacity(count as usize);
        let mut tx = self.db.begin_write().await?;
        for n in 1..=count {
            let created_at = start + first_half * i64::from(n) / i64::from(count);
            let mut open = async |parent: &Actor, kind: AccountKind, suffix: &str| {
                if !parent.kind().may_parent(kind) {
                    return Err(SeedError::Open(OpenAccountError::KindNotAllowed {
                        parent: parent.kind(),
                        child: kind,
                    }));
                }
                let (first, second) = (
                    FIRST[rng.gen_range(0..FIRST.len())],
                    SECOND[rng.gen_range(0..SECOND.len())],
                );
                let name = seed_value(AccountName::parse(&format!("{first} {second} {n}{suffix}")));
                let login = seed_value(Login::parse(&format!(
                    "{}.{}{n}{suffix}",
                    first.to_lowercase(),
                    second.to_lowercase()
                )));
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO accounts (parent_id, kind, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(parent.account().0)
                .bind(kind.as_str())
                .bind(name.as_str())
                .bind(created_at)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO users (account_id, login, password_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(login.as_str())
                    .bind(&password_hash)
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await?;
                Ok(Actor::new(AccountId(id), kind, login.as_str().to_owned()))
            };
            let child = if n % RESELLER_EVERY == 0 {
                let reseller = open(direct, AccountKind::Reseller, "").await?;
                let mut customers = Vec::new();
                for letter in ["a", "b"].into_iter().take(CUSTOMERS_PER_RESELLER as usize) {
                    customers.push((
                        open(&reseller, AccountKind::Customer, letter)
                            .await?
                            .account(),
                        0,
                    ));
                }
                SeedChild {
                    id: reseller.account(),
                    balance: 0,
                    reseller: Some((reseller, customers)),
                }
            } else {
                let customer = open(direct, AccountKind::Customer, "").await?;
                SeedChild {
                    id: customer.account(),
                    balance: 0,
                    reseller: None,
                }
            };
            tree.push(child);
            if (n as usize).is_multiple_of(SEED_BATCH) || n == count {
                tx.commit().await?;
                progress(SeedProgress::SubAccounts { done: n, of: count });
                tx = self.db.begin_write().await?;
            }
        }
        tx.commit().await?;
        Ok(tree)
    }
}

/// A sub-account of the direct reseller as the seed tracks it.
struct SeedChild {
    id: AccountId,
    balance: i64,
    /// When it is a reseller: acting as it, and its customers with their balances.
    reseller: Option<(Actor, Vec<(AccountId, i64)>)>,
}

/// Whose balance a seeded transfer moves against its parent's: (the parent's balance when the
/// parent is a seeded reseller, the account and its balance).
enum SeedHolder<'a> {
    Child(&'a mut i64, AccountId),
    Customer(&'a mut i64, &'a mut (AccountId, i64)),
}

impl SeedHolder<'_> {
    /// A grant from `parent` (most of the time) or a revoke back to it.
    async fn move_credits(
        self,
        ledger: &Ledger,
        parent: &Actor,
        note: &str,
        rng: &mut StdRng,
    ) -> Result<(), SeedError> {
        let (parent_balance, account, balance) = match self {
            // The direct reseller's own credits are plenty; only its sub-account's are counted.
            SeedHolder::Child(balance, account) => (None, account, balance),
            SeedHolder::Customer(reseller_balance, (account, balance)) => {
                (Some(reseller_balance), *account, balance)
            }
        };
        let take_back = *balance > 0 && rng.gen_bool(0.3);
        let most = if take_back {
            *balance
        } else {
            parent_balance
                .as_deref()
                .map_or(500, |available| (*available).min(500))
        };
        let credits = rng.gen_range(1..=most.max(1));
        let request = TransferRequest {
            sub_account: account,
            credits: seed_value(Credits::new(credits)),
            note: seed_value(Note::parse(note)),
            key: IdempotencyKey::generate(),
        };
        let signed = if take_back {
            ledger.revoke(parent, &request).await?;
            -credits
        } else {
            ledger.grant(parent, &request).await?;
            credits
        };
        *balance += signed;
        if let Some(parent_balance) = parent_balance {
            *parent_balance -= signed;
        }
        Ok(())
    }
}

/// The seed's own values are valid by construction; a failure here is a bug in this file.
fn seed_value<T, E: std::fmt::Debug>(parsed: Result<T, E>) -> T {
    parsed.expect("the seed's values are valid")
}
