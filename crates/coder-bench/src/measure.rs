//! Timing helpers: medians, percentiles and the progress lines on stderr.

use std::time::{Duration, Instant};

/// The median of some samples (the mean of the middle two for an even count); 0 for none.
pub(crate) fn median(samples: &[f64]) -> f64 {
    percentile(samples, 0.5)
}

/// The `p`-quantile (0.0–1.0) of some samples, interpolating between neighbours; 0 for none.
pub(crate) fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

/// Runs `f` and returns its result with how long it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(crate) fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One line per phase on stderr, with the time since the run started, when asked for.
pub(crate) struct Progress {
    enabled: bool,
    start: Instant,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self { enabled, start: Instant::now() }
    }

    pub fn say(&self, what: impl AsRef<str>) {
        if self.enabled {
            eprintln!("[coder bench {:>6.1}s] {}", self.start.elapsed().as_secs_f64(), what.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5, "an even count takes the mean of the middle two");
        assert_eq!(median(&[]), 0.0, "no samples have no median, reported as 0");
    }

    #[test]
    fn percentile_interpolates() {
        let samples: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.9), 90.0);
        assert_eq!(percentile(&samples, 1.0), 100.0);
    }
}
