//! How big each workload is. The figures are defined at the full sizes (scale 1.0); a smaller
//! scale shrinks every count proportionally, never below a floor that keeps the measurement
//! meaningful, so a smoke test at scale 0.002 finishes in seconds. A few quantities are part of
//! the figure's definition and never scale: 16 producers, 1,000 events per thread of the large
//! store, 40 tokens per stored text delta, three rounds per median.

/// Sizes of one run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sizes {
    /// Samples of each single-append latency (Coder, raw fsync, SQLite), interleaved.
    pub latency_samples: usize,
    /// Concurrent producer threads.
    pub producers: usize,
    /// Appends each producer makes per round, awaiting each ack.
    pub appends_per_producer: usize,
    /// Rounds whose median is reported, alternating the two systems.
    pub rounds: usize,
    /// Threads of the large store (1,000 → 1,000,000 events).
    pub threads: usize,
    /// Events per thread of the large store.
    pub events_per_thread: usize,
    /// Messages of the long thread that `open_thread_ms` opens.
    pub long_thread_messages: usize,
    /// Events of the long thread written after its chat snapshot: half of the engine's default
    /// `chat_snapshot_every`, the tail an average reopen finds after an unclean stop.
    pub tail_events: usize,
    /// Tokens of the streamed message of `stream_bytes_vs_text`.
    pub stream_tokens: usize,
    /// Events per import transaction when building stores.
    pub import_batch: usize,
}

/// Tokens per stored `StreamText` delta: the agent coalesces the live token stream to about one
/// stored delta per 250 ms, about 40 tokens at a fast model's pace.
pub(crate) const TOKENS_PER_DELTA: usize = 40;

impl Sizes {
    pub const FULL: Sizes = Sizes {
        latency_samples: 300,
        producers: 16,
        appends_per_producer: 100,
        rounds: 3,
        threads: 1000,
        events_per_thread: 1000,
        long_thread_messages: 100_000,
        tail_events: 500,
        stream_tokens: 10_000,
        import_batch: 4096,
    };

    /// The full sizes scaled by `scale` (> 0; values above 1 grow the workloads).
    pub fn at(scale: f64) -> Sizes {
        let full = Self::FULL;
        let scaled = |n: usize, floor: usize| ((n as f64 * scale).round() as usize).max(floor);
        Sizes {
            latency_samples: scaled(full.latency_samples, 20),
            appends_per_producer: scaled(full.appends_per_producer, 4),
            threads: scaled(full.threads, 2),
            long_thread_messages: scaled(full.long_thread_messages, 100),
            tail_events: scaled(full.tail_events, 20),
            stream_tokens: scaled(full.stream_tokens, 400),
            ..full
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_is_the_defined_sizes() {
        assert_eq!(Sizes::at(1.0), Sizes::FULL);
        assert_eq!(Sizes::FULL.threads * Sizes::FULL.events_per_thread, 1_000_000);
    }

    #[test]
    fn small_scales_stop_at_the_floors() {
        let tiny = Sizes::at(0.0001);
        assert_eq!(tiny.threads, 2);
        assert_eq!(tiny.producers, 16, "the producer count is part of the figure's definition");
        assert_eq!(tiny.long_thread_messages, 100);
    }
}
