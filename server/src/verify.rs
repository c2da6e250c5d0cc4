//! `server verify`: proves the balances equal the ledger, in words an operator can act on.

use ledger::VerifyReport;

pub fn print(report: &VerifyReport) {
    println!("accounts:        {}", report.accounts);
    println!("transfers:       {}", report.transfers);
    println!("in circulation:  {} credits", report.in_circulation);
    println!("sum of balances: {} (must be 0)", report.total);
    for drift in &report.drifts {
        println!(
            "DRIFT  account {} ({}): balance {} but the ledger says {}",
            drift.account, drift.name, drift.balance, drift.ledger_balance
        );
    }
    for account in &report.negative {
        println!("NEGATIVE  account {account} is below zero");
    }
    for parent in &report.totals_drift {
        println!("TOTALS  account {parent}: the kept totals of its sub-accounts differ from them");
    }
    if report.is_clean() {
        println!("OK: every balance equals the ledger");
    } else {
        println!("FAILED: the balances do not match the ledger");
    }
}
