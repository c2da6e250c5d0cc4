//! The worked example of the product description, built through the ledger's own operations: a
//! direct reseller with 100 credits and three sub-accounts (two resellers, one customer) at 0. The
//! one fixture: `server demo` loads it, and the tests of every crate start from it.

use crate::accounts::{AccountId, AccountKind, NewSubAccount, OpenAccountError};
use crate::actor::{Actor, Operator};
use crate::transfers::{TopUp, TransferError};
use crate::users::{Login, Password};
use crate::values::{AccountName, Credits, IdempotencyKey, Note};
use crate::{Ledger, StoreError};

/// Every demo user's password (the README prints it, so it is for demos and tests only).
pub const DEMO_PASSWORD: &str = "creditdesk-demo";

/// The worked example's accounts. Logins: `direct`, `reseller1`, `reseller2`, `customer1`.
#[derive(Debug, Clone)]
pub struct WorkedExample {
    /// The direct reseller's user, who moves the credits.
    pub direct: Actor,
    pub reseller_one: AccountId,
    pub reseller_two: AccountId,
    pub customer_one: AccountId,
}

impl WorkedExample {
    /// The direct reseller's three sub-accounts, in the order of the example.
    pub fn sub_accounts(&self) -> [AccountId; 3] {
        [self.reseller_one, self.reseller_two, self.customer_one]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkedExampleError {
    #[error(
        "the database already has accounts; the worked example goes into an empty database only"
    )]
    NotEmpty,
    #[error(transparent)]
    Open(#[from] OpenAccountError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Ledger {
    /// Loads the worked example into an empty database.
    ///
    /// Errors: `NotEmpty` when any account besides the platform exists.
    pub async fn load_worked_example(
        &self,
        operator: &Operator,
    ) -> Result<WorkedExample, WorkedExampleError> {
        if self.count_accounts().await? > 0 {
            return Err(WorkedExampleError::NotEmpty);
        }
        let password = demo_value(Password::parse(DEMO_PASSWORD));
        let direct = self
            .open_direct_reseller(
                operator,
                &demo_value(AccountName::parse("Direct Reseller")),
                &demo_value(Login::parse("direct")),
                &password,
            )
            .await?;
        self.top_up(
            operator,
            &TopUp {
                direct_reseller: direct.account.id,
                credits: demo_value(Credits::new(100)),
                note: demo_value(Note::parse("Demo opening balance")),
                key: demo_value(IdempotencyKey::parse("worked-example-opening-balance")),
            },
        )
        .await?;
        let direct = Actor::new(
            direct.account.id,
            AccountKind::DirectReseller,
            "direct".into(),
        );
        let open = async |kind, name, login| {
            let account = NewSubAccount {
                kind,
                name: demo_value(AccountName::parse(name)),
                login: demo_value(Login::parse(login)),
                password: password.clone(),
            };
            self.open_sub_account(&direct, &account)
                .await
                .map(|opened| opened.account.id)
        };
        let reseller_one = open(AccountKind::Reseller, "Reseller One", "reseller1").await?;
        let reseller_two = open(AccountKind::Reseller, "Reseller Two", "reseller2").await?;
        let customer_one = open(AccountKind::Customer, "Customer One", "customer1").await?;
        // The README prints their shared password, so changing it at the first sign-in protects
        // nothing and would only get in the way of a demo.
        for login in ["direct", "reseller1", "reseller2", "customer1"] {
            self.keep_password(&demo_value(Login::parse(login))).await?;
        }
        Ok(WorkedExample {
            direct,
            reseller_one,
            reseller_two,
            customer_one,
        })
    }
}

/// The example's fixed values are valid by construction; a failure here is a bug in this file.
fn demo_value<T, E: std::fmt::Debug>(parsed: Result<T, E>) -> T {
    parsed.expect("the worked example's values are valid")
}
