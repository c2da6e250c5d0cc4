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
    for wrong in &report.wrong_balances_after {
        println!(
            "BALANCE AFTER  transfer {}, account {}: recorded {} but its transfers add up to {}",
            wrong.transfer, wrong.account, wrong.recorded, wrong.replayed
        );
    }
    for outside in &report.outside_the_tree {
        println!(
            "OUTSIDE THE TREE  transfer {} ({} from account {} to account {}, made by account {}): {}",
            outside.transfer,
            outside.kind.as_str(),
            outside.from,
            outside.to,
            outside.actor_account,
            outside.broken
        );
    }
    for parent in &report.totals_drift {
        println!("TOTALS  account {parent}: the kept totals of its sub-accounts differ from them");
    }
    for account in &report.stale_marks {
        println!("MARK  account {account}: its newest transfer is not the one it is marked with");
    }
    if report.is_clean() {
        println!("OK: every balance equals the ledger");
    } else {
        println!("FAILED: the balances or the transfers do not match the ledger's rules");
    }
}
