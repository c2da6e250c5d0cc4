//! The signed-in account as every component sees it: loaded once per page view, then kept current by
//! the receipts of the transfers made here.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{AccountSummary, TransferReceipt};
use crate::server_fns::my_account;

#[derive(Clone, Copy)]
pub struct OwnAccount {
    pub account: Resource<Result<AccountSummary, AppError>>,
    balance_after_save: RwSignal<Option<i64>>,
    /// Bumped by every transfer made here, so that lists of the account's entries reload.
    pub ledger_version: RwSignal<u32>,
}

impl OwnAccount {
    pub fn provide() -> Self {
        let own = Self {
            account: Resource::new(|| (), |_| my_account()),
            balance_after_save: RwSignal::new(None),
            ledger_version: RwSignal::new(0),
        };
        provide_context(own);
        own
    }

    pub fn expect() -> Self {
        expect_context()
    }

    /// The latest known balance: from the last receipt, or as loaded.
    pub fn balance(&self) -> Option<i64> {
        self.balance_after_save.get().or_else(|| {
            self.account
                .get()
                .and_then(Result::ok)
                .map(|account| account.balance)
        })
    }

    pub fn record(&self, receipt: &TransferReceipt) {
        self.balance_after_save.set(Some(receipt.own_balance));
        self.ledger_version.update(|version| *version += 1);
    }
}
