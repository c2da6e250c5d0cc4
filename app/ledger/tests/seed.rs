//! `server seed`'s dataset is dated as a reseller's would be: every account and every transfer at a
//! time of its own, in the order they were made, so that date filters, date sorts and keyset pages
//! meet the spread of times a real ledger has rather than one instant (the CSV of a million
//! transfers made in one millisecond walked past every row already sent for each chunk).

use ledger::testing::{TestDatabase, operator, seeded, worked_example};
use ledger::{SeedError, SeedPlan};

#[tokio::test]
async fn a_seed_dates_every_account_and_transfer_apart_in_the_order_made() {
    let (db, _ledger, _dataset) = seeded(300, 1_000).await;
    let mut raw = db.raw_connection().await;
    let mut times = async |table: &str| -> Vec<i64> {
        sqlx::query_scalar(&format!("SELECT created_at FROM {table} ORDER BY id"))
            .fetch_all(&mut raw)
            .await
            .unwrap()
    };
    let accounts = times("accounts").await;
    let transfers = times("transfers").await;

    // A reseller's own customers open with it; every other account has a millisecond of its own.
    assert!(accounts.windows(2).all(|pair| pair[0] <= pair[1]));
    let mut distinct = accounts.clone();
    distinct.dedup();
    assert!(
        distinct.len() > 300,
        "{} times for {} accounts",
        distinct.len(),
        accounts.len()
    );
    // The worked example's top-up, the seed's own, then its transfers: each after the one before.
    assert_eq!(transfers.len(), 1 + 1 + 1_000);
    assert!(transfers.windows(2).all(|pair| pair[0] < pair[1]));
}

#[tokio::test]
async fn a_seed_over_a_demo_loaded_just_now_is_refused_before_it_writes_anything() {
    let db = TestDatabase::new().await;
    let ledger = db.ledger().await;
    worked_example(&ledger).await;
    let before = ledger.verify(&operator()).await.unwrap();

    let plan = SeedPlan {
        sub_accounts: 50,
        transfers: 100_000,
    };
    let refused = ledger.seed(&operator(), &plan, |_| {}).await;

    assert!(
        matches!(refused, Err(SeedError::NoRoom { needed: 100_000, room }) if room < 100_000),
        "{refused:?}"
    );
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("seed an empty database")
    );
    let after = ledger.verify(&operator()).await.unwrap();
    assert_eq!(
        (after.accounts, after.transfers),
        (before.accounts, before.transfers)
    );
}
