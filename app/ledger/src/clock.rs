//! Time as the ledger sees it: the system clock, or a hand-moved one in tests of expiry and throttling.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Milliseconds since the Unix epoch: the one time format stored, the same on both backends.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// A clock that only moves when told to, starting at `millis`.
    pub fn manual(millis: i64) -> Self {
        Self(Some(Arc::new(AtomicI64::new(millis))))
    }

    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(manual) => manual.load(Ordering::SeqCst),
            None => {
                let since_epoch = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
            }
        }
    }

    /// Moves a manual clock forward; the system clock moves by itself and ignores this.
    pub fn advance(&self, by: Duration) {
        if let Some(manual) = &self.0 {
            manual.fetch_add(millis(by), Ordering::SeqCst);
        }
    }
}

pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
