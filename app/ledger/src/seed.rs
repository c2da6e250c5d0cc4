//! A realistic dataset for measuring and for tests at scale: many sub-accounts under the worked
//! example's direct reseller, and many transfers between them over the past year, made through the
//! ledger's own rules.
//!
//! Sub-accounts are opened in batches (one transaction per [`SEED_BATCH`] accounts) at zero
//! credits, with names and logins parsed like any other and the tree's shape checked; all their
//! users share the demo password, hashed once. Every transfer is an ordinary grant or revoke by the
//! direct reseller (conditional updates, idempotency key, balances after), so `verify` holds
//! throughout. The same plan always makes the same dataset.

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
    pub sub_accounts: Vec<AccountId>,
    pub transfers: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database has accounts beyond the demo's; seed an empty database or one with the demo only"
    )]
    NotTheDemo,
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
    /// `plan.transfers` grants and revokes between them, spread over the past year. An empty
    /// database gets the worked example first.
    ///
    /// Errors: `NotTheDemo` when the database holds any account besides the worked example's.
    pub async fn seed(
        &self,
        operator: &Operator,
        plan: &SeedPlan,
        mut progress: impl FnMut(SeedProgress),
    ) -> Result<SeedReport, SeedError> {
        let direct = self.demo_direct_reseller(operator).await?;
        let mut rng = StdRng::seed_from_u64(u64::from(plan.sub_accounts) ^ 0x5eed);
        let end = self.clock.now();
        let start = end - millis(SPAN);
        let opened = self
            .open_seed_accounts(&direct, plan.sub_accounts, start, &mut rng, &mut progress)
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
        let mut balances = vec![0_i64; opened.len()];
        let report_every = (plan.transfers / 100).max(1);
        for done in 0..plan.transfers {
            clock.advance(Duration::from_millis(u64::try_from(step).unwrap_or(0)));
            if opened.is_empty() {
                break;
            }
            // Only accounts opened by now take part: they open over the first half of the year.
            let open_by_now = (opened.len() as u64 * (u64::from(done) * 2 + 2)
                / u64::from(plan.transfers.max(1)))
            .clamp(1, opened.len() as u64) as usize;
            let pick = rng.gen_range(0..open_by_now);
            let note = match rng.gen_range(0..10) {
                0..=2 => format!("Invoice INV-{:06}", rng.gen_range(0..1_000_000)),
                n => NOTES[(n + pick) % NOTES.len()].to_owned(),
            };
            let take_back = balances[pick] > 0 && rng.gen_bool(0.3);
            let credits = if take_back {
                rng.gen_range(1..=balances[pick])
            } else {
                rng.gen_range(1..=500)
            };
            let request = TransferRequest {
                sub_account: opened[pick],
                credits: seed_value(Credits::new(credits)),
                note: seed_value(Note::parse(&note)),
                key: IdempotencyKey::generate(),
            };
            if take_back {
                ledger.revoke(&direct, &request).await?;
                balances[pick] -= credits;
            } else {
                ledger.grant(&direct, &request).await?;
                balances[pick] += credits;
            }
            if (done + 1) % report_every == 0 || done + 1 == plan.transfers {
                progress(SeedProgress::Transfers {
                    done: done + 1,
                    of: plan.transfers,
                });
            }
        }
        // Suspended last, so that they hold credits like any other (which can still be revoked).
        for account in opened
            .iter()
            .skip(SUSPENDED_EVERY as usize - 1)
            .step_by(SUSPENDED_EVERY as usize)
        {
            self.set_sub_account_status(&direct, *account, AccountStatus::Suspended)
                .await
                .map_err(|error| match error {
                    ManageError::SubAccountNotFound => {
                        StoreError::Corrupt(format!("seeded account {account} is missing"))
                    }
                    ManageError::Store(error) => error,
                })?;
        }
        tracing::info!(
            sub_accounts = opened.len(),
            transfers = plan.transfers,
            "dataset seeded"
        );
        Ok(SeedReport {
            direct,
            sub_accounts: opened,
            transfers: plan.transfers,
        })
    }

    /// The worked example's direct reseller, loading the example into an empty database.
    async fn demo_direct_reseller(&self, operator: &Operator) -> Result<Actor, SeedError> {
        match self.count_accounts().await? {
            0 => Ok(self.load_worked_example(operator).await?.direct),
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

    /// Opens `count` sub-accounts under `direct`, over the first half of the year from `start`.
    async fn open_seed_accounts(
        &self,
        direct: &Actor,
        count: u32,
        start: i64,
        rng: &mut StdRng,
        progress: &mut impl FnMut(SeedProgress),
    ) -> Result<Vec<AccountId>, SeedError> {
        let password_hash = hash_password(&seed_value(Password::parse(DEMO_PASSWORD))).await?;
        let half_year = millis(SPAN) / 2;
        let mut opened = Vec::with_capacity(count as usize);
        let mut tx = self.db.begin_write().await?;
        for n in 1..=count {
            let kind = if n % RESELLER_EVERY == 0 {
                AccountKind::Reseller
            } else {
                AccountKind::Customer
            };
            if !direct.kind().may_parent(kind) {
                return Err(OpenAccountError::KindNotAllowed {
                    parent: direct.kind(),
                    child: kind,
                }
                .into());
            }
            let (first, second) = (
                FIRST[rng.gen_range(0..FIRST.len())],
                SECOND[rng.gen_range(0..SECOND.len())],
            );
            let name = seed_value(AccountName::parse(&format!("{first} {second} {n}")));
            let login = seed_value(Login::parse(&format!(
                "{}.{}{n}",
                first.to_lowercase(),
                second.to_lowercase()
            )));
            let created_at = start + half_year * i64::from(n) / i64::from(count);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accounts (parent_id, kind, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(direct.account().0)
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
            opened.push(AccountId(id));
            if n as usize % SEED_BATCH == 0 || n == count {
                tx.commit().await?;
                progress(SeedProgress::SubAccounts { done: n, of: count });
                tx = self.db.begin_write().await?;
            }
        }
        tx.commit().await?;
        Ok(opened)
    }
}

/// The seed's own values are valid by construction; a failure here is a bug in this file.
fn seed_value<T, E: std::fmt::Debug>(parsed: Result<T, E>) -> T {
    parsed.expect("the seed's values are valid")
}
