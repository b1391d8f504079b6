//! A thread's runs as a list shows them: the newest few, newest first.
//!
//! A long thread has tens of thousands of runs, so the list is chosen from the write model's
//! index of the thread's runs, and only the runs kept are sorted.

use std::cmp::Ordering;

use coder_domain::{Run, ThreadId};

use crate::write_model::WriteModel;

/// Newest first: the later start first; of runs started at the same instant, the greater id
/// first (ids are time-ordered UUIDs, so that is the one made later). A total order, so the
/// list is the same on every call.
fn newest_first(a: &&Run, b: &&Run) -> Ordering {
    b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id))
}

/// The `limit` newest runs of `thread`, newest first; none for a thread without runs.
pub(crate) fn newest(write: &WriteModel, thread: ThreadId, limit: usize) -> Vec<Run> {
    if limit == 0 {
        return Vec::new();
    }
    let mut runs: Vec<&Run> = write
        .thread_runs
        .get(&thread)
        .into_iter()
        .flatten()
        .filter_map(|id| write.domain.runs.get(id))
        .filter(|run| run.thread_id == thread)
        .collect();
    if runs.len() > limit {
        runs.select_nth_unstable_by(limit - 1, newest_first);
        runs.truncate(limit);
    }
    runs.sort_by(newest_first);
    runs.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use coder_domain::RunId;
    use uuid::Uuid;

    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, second).single().expect("a valid time")
    }

    fn id(n: u128) -> RunId {
        RunId::from_uuid(Uuid::from_u128(n))
    }

    /// A write model holding `runs` (id, thread, start) as `RunStarted` would have left them.
    fn model(runs: &[(RunId, ThreadId, DateTime<Utc>)]) -> WriteModel {
        let mut write = WriteModel::default();
        for &(run, thread, started) in runs {
            write.domain.runs.insert(run, Run::new(run, thread, "coder".into(), started));
            write.thread_runs.entry(thread).or_default().push(run);
        }
        write
    }

    fn ids(runs: &[Run]) -> Vec<RunId> {
        runs.iter().map(|r| r.id).collect()
    }

    #[test]
    fn runs_are_newest_first_and_equal_starts_go_by_id() {
        let thread = ThreadId::new();
        let write = model(&[
            (id(1), thread, at(1)),
            (id(4), thread, at(3)),
            (id(2), thread, at(3)),
            (id(3), thread, at(3)),
            (id(5), thread, at(2)),
        ]);
        assert_eq!(
            ids(&newest(&write, thread, 10)),
            [id(4), id(3), id(2), id(5), id(1)],
            "later starts first; runs of the same instant by id, greatest first, whatever order they came in"
        );
    }

    #[test]
    fn the_limit_keeps_the_newest() {
        let thread = ThreadId::new();
        let runs: Vec<_> = (1..=50u32).map(|n| (id(u128::from(n)), thread, at(n))).rev().collect();
        let write = model(&runs);
        assert_eq!(ids(&newest(&write, thread, 3)), [id(50), id(49), id(48)], "the three newest of fifty");
        let tied = model(&[(id(1), thread, at(5)), (id(2), thread, at(5)), (id(3), thread, at(5))]);
        assert_eq!(
            ids(&newest(&tied, thread, 2)),
            [id(3), id(2)],
            "a cut through a tie keeps the greater ids"
        );
        assert_eq!(newest(&write, thread, 50).len(), 50, "a limit equal to the count keeps all");
        assert!(newest(&write, thread, 0).is_empty(), "a limit of none lists none");
    }

    #[test]
    fn other_threads_runs_are_left_out() {
        let (thread, other) = (ThreadId::new(), ThreadId::new());
        let write = model(&[(id(1), thread, at(1)), (id(2), other, at(9)), (id(3), thread, at(2))]);
        assert_eq!(
            ids(&newest(&write, thread, 10)),
            [id(3), id(1)],
            "the other thread's newer run is not listed"
        );
        assert_eq!(ids(&newest(&write, other, 10)), [id(2)]);
        assert!(newest(&write, ThreadId::new(), 10).is_empty(), "a thread without runs lists none");
    }
}
