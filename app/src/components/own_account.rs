//! The signed-in account as every component sees it: loaded once per page view, then kept current by
//! the live balances (the receipts of transfers made here, and the server's events).

use leptos::prelude::*;

use crate::components::live::Live;
use crate::model::{AccountSummary, TransferReceipt};
use crate::server_fns::my_account;
use crate::wire::{Loaded, load};

#[derive(Clone, Copy)]
pub struct OwnAccount {
    pub account: Loaded<AccountSummary>,
    live: Live,
    /// Bumped by every transfer made here, so that lists of the account's entries reload.
    pub ledger_version: RwSignal<u32>,
}

impl OwnAccount {
    pub fn provide() -> Self {
        let own = Self {
            account: load(|| (), |_| my_account()),
            live: Live::provide(),
            ledger_version: RwSignal::new(0),
        };
        provide_context(own);
        own
    }

    pub fn expect() -> Self {
        expect_context()
    }

    /// The latest known balance: live, or as loaded.
    pub fn balance(&self) -> Option<i64> {
        let account = self.account.get().and_then(Result::ok)?;
        Some(self.live.balance(account.id).unwrap_or(account.balance))
    }

    pub fn record(&self, receipt: &TransferReceipt) {
        if let Some(Ok(account)) = self.account.get_untracked() {
            self.live.record(account.id, receipt);
        }
        self.ledger_version.update(|version| *version += 1);
    }
}
