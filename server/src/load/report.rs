//! What a run measured, and how it is printed (Markdown, for the README).

use std::collections::BTreeMap;
use std::time::Duration;

/// The answers and latencies of a set of requests.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    /// How many of each kind of answer that moved nothing ("409 not-enough-credits", "no answer
    /// (connection lost)").
    pub errors: BTreeMap<String, u64>,
    /// Movements applied (transfers recorded).
    pub moved: u64,
}

impl Tally {
    /// One request: `kind` counts among the errors unless it `moved` credits.
    pub fn count(&mut self, kind: String, latency: Duration, moved: bool) {
        self.latencies.push(latency);
        if moved {
            self.moved += 1;
        } else {
            *self.errors.entry(kind).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        self.moved += other.moved;
    }

    /// p50, p99 and max, in that order.
    pub fn percentiles(&mut self) -> [Duration; 3] {
        self.latencies.sort_unstable();
        let at = |percent: usize| {
            let index = (self.latencies.len() * percent)
                .div_ceil(100)
                .saturating_sub(1);
            self.latencies.get(index).copied().unwrap_or_default()
        };
        [at(50), at(99), at(100)]
    }

    /// The errors as "kind: count" pairs.
    pub fn errors(&self) -> String {
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(kind, count)| format!("{kind}: {count}"))
            .collect();
        if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(", ")
        }
    }
}

pub fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(f64::EPSILON)
}

/// The 1, 5 and 15 minute load averages, as the kernel says them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let mut tally = Tally::default();
        for ms in (1..=100).rev() {
            tally.count("201 created".into(), Duration::from_millis(ms), true);
        }
        tally.count(
            "409 not-enough-credits".into(),
            Duration::from_millis(500),
            false,
        );
        assert_eq!(
            tally.percentiles(),
            [
                Duration::from_millis(51),
                Duration::from_millis(100),
                Duration::from_millis(500)
            ]
        );
        assert_eq!(tally.moved, 100);
        assert_eq!(tally.errors(), "409 not-enough-credits: 1");
    }
}
