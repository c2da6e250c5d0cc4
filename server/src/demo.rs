//! `server demo`: the worked example (built by the ledger), loaded into an empty database.

use ledger::{DEMO_PASSWORD, Ledger, Operator, WorkedExampleError};

/// Loads the worked example and tells the operator how to sign in.
pub async fn load(ledger: &Ledger) -> Result<(), WorkedExampleError> {
    ledger.load_worked_example(&Operator::new("demo")).await?;
    println!(
        "Demo data loaded: Direct Reseller with 100 credits; Reseller One, Reseller Two and Customer One at 0."
    );
    println!(
        "Sign in as direct, reseller1, reseller2 or customer1, each with the password {DEMO_PASSWORD}."
    );
    Ok(())
}
