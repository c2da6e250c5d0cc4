//! The operator's command line, run as the real binary against a test database: a top-up carries
//! the operator's request id (the invoice number), so running it again after a dropped connection
//! issues the credits once.

use std::process::{Command, Output};

use ledger::testing::{TestDatabase, balance, operator, with_worked_example};

/// Runs `server <args>` against the test database.
fn server(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", &db.settings.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the server binary")
}

fn top_up(credits: &str, request_id: &str) -> Vec<String> {
    [
        "top-up",
        "--login",
        "direct",
        "--credits",
        credits,
        "--note",
        "Invoice 2026-118",
        "--request-id",
        request_id,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run(db: &TestDatabase, args: &[String]) -> (bool, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = server(db, &args);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_top_up_run_again_with_its_request_id_issues_the_credits_once() {
    let (db, ledger, example) = with_worked_example().await;
    let direct = example.direct.account();

    let (ok, first, errors) = run(&db, &top_up("250", "invoice-2026-118"));
    assert!(ok, "{errors}");
    assert_eq!(
        first,
        "Topped up Direct Reseller with 250 credits; its balance is now 350.\n"
    );

    let (ok, again, errors) = run(&db, &top_up("250", "invoice-2026-118"));
    assert!(ok, "{errors}");
    assert_eq!(
        again,
        "Already applied: invoice-2026-118 topped up Direct Reseller with 250 credits \
         (transfer 2); its balance after it was 350.\n"
    );
    assert_eq!(balance(&ledger, direct).await, 350);

    let (ok, _, errors) = run(&db, &top_up("300", "invoice-2026-118"));
    assert!(!ok, "a different top-up under the same request id");
    assert!(
        errors.contains("invoice-2026-118 was already used for a different top-up"),
        "{errors}"
    );
    assert_eq!(balance(&ledger, direct).await, 350);
    assert_eq!(ledger.verify(&operator()).await.unwrap().transfers, 2);
}

#[tokio::test]
async fn a_top_up_needs_a_request_id() {
    let (db, ledger, example) = with_worked_example().await;
    let mut without = top_up("250", "unused");
    without.truncate(without.len() - 2);

    let (ok, _, errors) = run(&db, &without);

    assert!(!ok);
    assert!(errors.contains("--request-id"), "{errors}");
    assert_eq!(balance(&ledger, example.direct.account()).await, 100);
}

#[tokio::test]
async fn verify_prints_the_transfer_that_breaks_the_ledger_and_fails() {
    let (db, ledger, example) = with_worked_example().await;
    let (ok, clean, _) = run(&db, &["verify".to_owned()]);
    assert!(
        ok && clean.contains("OK: every balance equals the ledger"),
        "{clean}"
    );
    let grant = ledger
        .grant(
            &example.direct,
            &ledger::testing::transfer_request(example.reseller_one, 30),
        )
        .await
        .unwrap();

    db.tamper(&format!(
        "UPDATE transfers SET to_balance_after = 29 WHERE id = {}",
        grant.id
    ))
    .await;
    let (ok, report, _) = run(&db, &["verify".to_owned()]);

    assert!(!ok, "{report}");
    let line = format!(
        "BALANCE AFTER  transfer {}, account {}: recorded 29 but its transfers add up to 30",
        grant.id, example.reseller_one
    );
    assert!(report.contains(&line), "{report}");
    assert!(report.contains("FAILED"), "{report}");
}
