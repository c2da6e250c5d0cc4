//! `server seed`: the dataset for measuring at scale (built by the ledger, see `ledger::seed`), with
//! its progress printed as it goes and `verify` run at the end.

use std::time::Instant;

use ledger::{Ledger, SeedError, SeedPlan, SeedProgress, StoreError, VerifyReport};

use crate::operator::operator;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Verify(#[from] StoreError),
}

/// Seeds `plan` and returns the verify report of the result.
pub async fn seed(ledger: &Ledger, plan: SeedPlan) -> Result<VerifyReport, DatasetError> {
    let started = Instant::now();
    let mut phase_started = Instant::now();
    let report = ledger
        .seed(&operator(), &plan, |progress| {
            let (what, done, of) = match progress {
                SeedProgress::SubAccounts { done, of } => ("sub-accounts opened", done, of),
                SeedProgress::Transfers { done, of } => ("transfers made", done, of),
            };
            let rate = f64::from(done) / phase_started.elapsed().as_secs_f64().max(0.001);
            println!("{what}: {done} of {of} ({rate:.0}/s)");
            if done == of {
                phase_started = Instant::now();
            }
        })
        .await?;
    println!(
        "Seeded {} sub-accounts of Direct Reseller (login direct), {} customers of theirs and {} transfers in {:.0} s.",
        report.sub_accounts.len(),
        report.their_customers.len(),
        report.transfers,
        started.elapsed().as_secs_f64()
    );
    Ok(ledger.verify(&operator()).await?)
}
