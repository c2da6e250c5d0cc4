//! Bursts of parallel sign-ins, measured by the process's peak memory: each test takes its turn,
//! so that the peak belongs to one burst at a time.

use ledger::SignInError;
use ledger::sessions::PAIR_FAILURES;
use ledger::testing::with_worked_example;
use tokio::sync::Mutex;

static ONE_BURST_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// The process's peak resident memory so far, in bytes (`VmHWM` in /proc/self/status).
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line");
    kib * 1024
}

const LIMIT: u64 = 100 * 1024 * 1024;

/// Sends 100 wrong guesses at once, `login_and_address(i)` naming the i-th one's login and
/// address; answers how many had their password checked and by how much the peak memory grew.
async fn burst(login_and_address: fn(usize) -> (String, String)) -> (i64, u64) {
    let (_db, ledger, _) = with_worked_example().await;
    let before = peak_memory();
    let guesses: Vec<_> = (0..100)
        .map(|guess| {
            let ledger = ledger.clone();
            let (login, address) = login_and_address(guess);
            tokio::spawn(async move {
                ledger
                    .sign_in(&login, &format!("guess {guess}"), &address)
                    .await
            })
        })
        .collect();
    let (mut checked, mut throttled) = (0, 0);
    for guess in guesses {
        match guess.await.expect("the guess ran") {
            Err(SignInError::WrongCredentials) => checked += 1,
            Err(SignInError::Throttled { .. }) => throttled += 1,
            other => panic!("a guess answered {other:?}"),
        }
    }
    assert_eq!(checked + throttled, 100);
    (checked, peak_memory().saturating_sub(before))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_parallel_guesses_for_one_login_check_at_most_the_limit() {
    let _turn = ONE_BURST_AT_A_TIME.lock().await;
    let (checked, grown) = burst(|_| ("direct".into(), "203.0.113.9".into())).await;

    assert!(
        checked <= PAIR_FAILURES,
        "{checked} guesses had their password checked"
    );
    assert!(grown <= LIMIT, "peak memory grew by {} MiB", grown >> 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_parallel_sign_ins_that_all_get_checked_stay_within_100_mb() {
    let _turn = ONE_BURST_AT_A_TIME.lock().await;
    let (checked, grown) = burst(|i| (format!("someone{i}"), format!("203.0.113.{i}"))).await;

    assert_eq!(
        checked, 100,
        "every pair, address and login is below its limit"
    );
    assert!(grown <= LIMIT, "peak memory grew by {} MiB", grown >> 20);
}
