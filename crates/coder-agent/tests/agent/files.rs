use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coder_agent::changes;
use coder_agent::preview::{preview, StepPreview};
use coder_agent::testing::ScriptServer;
use coder_agent::tools::FileWrite;
use coder_domain::*;
use coder_engine::DispatchContext;
use serde_json::json;

use crate::support::*;

const NEW: &str = "pub fn answer() -> u32 { 42 }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_write_is_recorded_diffed_and_reverted() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Fixing.", "edit_file", json!({"path": "src/lib.rs", "old_text": "41", "new_text": "42"})),
        call("Adding notes.", "write_file", json!({"path": "NOTES.md", "content": "fixed\n"})),
        answer(&["Fixed: it returns 42 now."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Make it return 42").await.unwrap();
    let first = waiting(&w.engine, run).await;
    assert_eq!(
        w.file("src/lib.rs").unwrap(),
        "pub fn answer() -> u32 { 41 }\n",
        "nothing is written before approval"
    );
    agent.approve(run, waiting_step(&first), Approver::Person).await.unwrap();
    let second = until(&w.engine, run, "waiting again", |r| {
        r.status == RunStatus::WaitingForApproval
            && r.steps.iter().filter(|s| s.decision.is_some()).count() == 1
    })
    .await;
    agent.approve(run, waiting_step(&second), Approver::Person).await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    assert_eq!(w.file("src/lib.rs").unwrap(), NEW);
    assert_eq!(w.file("NOTES.md").unwrap(), "fixed\n");

    // Both changes are recorded with their contents, newest first.
    let recorded = changes::run_changes(&w.engine, run).unwrap();
    let paths: Vec<&str> = recorded.iter().map(|(_, c)| c.path.as_str()).collect();
    assert_eq!(paths, ["NOTES.md", "src/lib.rs"]);
    let edit = &recorded[1].1;
    let after = edit.change_type.after().unwrap();
    assert_eq!(
        w.engine.store().blob(after).unwrap().unwrap(),
        NEW.as_bytes(),
        "the new content is in the blob table"
    );
    let diff = changes::diff(&w.engine, edit).unwrap();
    assert!(
        diff.contains("-pub fn answer() -> u32 { 41 }") && diff.contains("+pub fn answer() -> u32 { 42 }"),
        "{diff}"
    );
    let created = changes::diff(&w.engine, &recorded[0].1).unwrap();
    assert!(created.contains("--- /dev/null") && created.contains("+fixed"), "{created}");

    // Revert the whole run: a new change each, history kept.
    let root = w.project_dir.path().canonicalize().unwrap();
    let before_revert = w.engine.project_files(w.project).unwrap().len();
    let reverted = changes::revert_run(&w.engine, run, &root, false).await.unwrap();
    assert_eq!(reverted, 2);
    assert_eq!(w.file("src/lib.rs").unwrap(), "pub fn answer() -> u32 { 41 }\n", "the file is back");
    assert_eq!(w.file("NOTES.md"), None, "the created file is gone");
    let files = w.engine.project_files(w.project).unwrap();
    assert_eq!(files.len(), before_revert + 2, "reverts are new changes; nothing was rewritten");
    let revert_events: Vec<_> = w
        .engine
        .store()
        .read_stream(StreamId::Project(w.project), 1)
        .unwrap()
        .into_iter()
        .filter(|e| e.metadata.contains_key(changes::META_REVERTS))
        .collect();
    assert_eq!(revert_events.len(), 2, "each revert names the change it undoes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_is_refused_when_the_file_changed_since_unless_forced() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Writing.", "write_file", json!({"path": "src/lib.rs", "content": NEW})),
        answer(&["Done."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Write").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    finished(&w.engine, run).await;
    std::fs::write(w.project_dir.path().join("src/lib.rs"), "edited by the person\n").unwrap();
    let root = w.project_dir.path().canonicalize().unwrap();
    let (_, change) = changes::run_changes(&w.engine, run).unwrap().remove(0);
    let err = changes::revert(&w.engine, w.project, &root, &change, false).await.unwrap_err();
    assert!(err.to_string().contains("changed since"), "{err}");
    assert_eq!(w.file("src/lib.rs").unwrap(), "edited by the person\n", "a refused revert touches nothing");
    changes::revert(&w.engine, w.project, &root, &change, true).await.unwrap();
    assert_eq!(w.file("src/lib.rs").unwrap(), "pub fn answer() -> u32 { 41 }\n", "forced, it reverts");
    // The person's edit was never recorded; it is, as found, before the revert that overwrote it.
    let events = w.engine.store().read_stream(StreamId::Project(w.project), 1).unwrap();
    let marked = |key: &str| events.iter().filter(|e| e.metadata.contains_key(key)).count();
    assert_eq!(marked(changes::META_OBSERVED), 1, "the person's edit is kept in the history");
    assert_eq!(marked(changes::META_REVERTS), 1, "and only the revert itself is marked as one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_command_changes_are_recorded_for_its_run() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Formatting.", "run_command", json!({"command": "echo generated > gen.txt && rm README.md"})),
        answer(&["Done."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Generate").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    finished(&w.engine, run).await;
    let recorded = changes::run_changes(&w.engine, run).unwrap();
    let mut kinds: Vec<(String, bool, bool)> = recorded
        .iter()
        .map(|(_, c)| (c.path.clone(), c.change_type.before().is_some(), c.change_type.after().is_some()))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("README.md".to_string(), true, false), ("gen.txt".to_string(), false, true)]);
    let root = w.project_dir.path().canonicalize().unwrap();
    changes::revert_run(&w.engine, run, &root, false).await.unwrap();
    assert_eq!(w.file("README.md").unwrap(), "# Sample\nA sample project.\n", "a deleted file comes back");
    assert_eq!(w.file("gen.txt"), None);
}

/// How long a step that must not block may take before the test calls it hung. Generous: the
/// guard only tells "returned" from "blocked forever", it measures nothing.
const GUARD: Duration = Duration::from_secs(30);

/// Makes a named pipe at `path` with `mkfifo`.
fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo makes {}", path.display());
}

/// Fails the test, instead of hanging it, when a read of the FIFO at `fifo` blocks: a writer is
/// opened (on a thread of its own, which may wait) so a reader stuck in `open` comes loose and
/// the runtime can shut down, then the test panics.
fn hung_on(fifo: &Path, what: &str) -> ! {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(fifo)));
    panic!("{what} blocked on a named pipe; it must check the file type before opening");
}

/// Runs blocking `work` on a thread of its own under the guard.
async fn guarded<T: Send + 'static>(fifo: &Path, what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || drop(tx.send(work())));
    match tokio::time::timeout(GUARD, rx).await {
        Ok(result) => result.unwrap_or_else(|_| panic!("{what} panicked")),
        Err(_) => hung_on(fifo, what),
    }
}

fn write(path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> FileWrite {
    FileWrite { path: path.into(), before: before.map(<[u8]>::to_vec), after: after.map(<[u8]>::to_vec) }
}

/// Records one change as the runner would (of no run) and returns it as the files panel sees it.
async fn recorded(w: &World, change: FileWrite) -> FileChangeRecord {
    let stored = changes::record(&w.engine, w.project, None, &[change], &DispatchContext::default())
        .await
        .expect("the change is recorded");
    let sequence = stored.last().expect("one event at least").sequence;
    changes::change_at(&w.engine, w.project, sequence).unwrap()
}

fn root(w: &World) -> PathBuf {
    w.project_dir.path().canonicalize().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_the_project_is_refused_without_hanging() {
    let w = World::new().await;
    let root = root(&w);
    let fifo = root.join("pipe");
    mkfifo(&fifo);

    let preview_root = root.clone();
    let (written, edited) = guarded(&fifo, "the approval preview", move || {
        let write = preview(Some(&preview_root), "write_file", &json!({"path": "pipe", "content": "x"}));
        let edit = preview(
            Some(&preview_root),
            "edit_file",
            &json!({"path": "pipe", "old_text": "a", "new_text": "b"}),
        );
        (write, edit)
    })
    .await;
    for shown in [written, edited] {
        let StepPreview::Write { diff, .. } = &shown else { panic!("the preview names the file: {shown:?}") };
        assert!(diff.contains("named pipe") && diff.contains("refused"), "the person is told why: {diff}");
    }

    // The log knows a file at that path, so the check before a write looks at the disk.
    let change = recorded(&w, write("pipe", None, Some(b"text"))).await;
    let before = w.engine.store().last_sequence();
    match tokio::time::timeout(GUARD, changes::check_before_write(&w.engine, w.project, &root, "pipe")).await
    {
        Ok(checked) => checked.expect("a path the tool will refuse is left to the tool"),
        Err(_) => hung_on(&fifo, "the check before a write"),
    }
    assert_eq!(w.engine.store().last_sequence(), before, "a pipe is not content: nothing is recorded");

    let reverted = match tokio::time::timeout(
        GUARD,
        changes::revert(&w.engine, w.project, &root, &change, true),
    )
    .await
    {
        Ok(reverted) => reverted,
        Err(_) => hung_on(&fifo, "the revert"),
    };
    let err = reverted.expect_err("a revert never writes into a pipe");
    assert_eq!(err.code(), "file_io", "{err}");
    assert!(err.to_string().contains("named pipe"), "the error says what is in the way: {err}");
    assert!(
        std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "a refused revert leaves the pipe where it was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diff_of_100k_lines_against_100_returns() {
    let w = World::new().await;
    let small: String = (0..100).map(|i| format!("line {i}\n")).collect();
    let big: String = (0..100_000).map(|i| format!("row {i}\n")).collect();
    let change = recorded(&w, write("big.txt", Some(small.as_bytes()), Some(big.as_bytes()))).await;
    let diff = changes::diff(&w.engine, &change).unwrap();
    assert!(
        diff.contains("diff too large to show (100 → 100000 lines)"),
        "a diff nobody can read is summarized by its line counts: {}",
        &diff[..diff.len().min(500)]
    );

    std::fs::write(root(&w).join("big.txt"), &small).unwrap();
    let shown = preview(Some(&root(&w)), "write_file", &json!({"path": "big.txt", "content": big}));
    let StepPreview::Write { diff, .. } = shown else { panic!("a write previews as a diff") };
    assert!(diff.contains("(100 → 100000 lines)"), "the preview summarizes the same way: {diff}");

    // Just within the line limit, every line differs: the diff is cut short by its deadline but
    // still shows every line removed and added.
    let many: String = (0..changes::DIFF_LINES).map(|i| format!("row {i}\n")).collect();
    let change = recorded(&w, write("many.txt", Some(small.as_bytes()), Some(many.as_bytes()))).await;
    let diff = changes::diff(&w.engine, &change).unwrap();
    assert!(diff.contains("\n-line 0\n") && diff.contains("\n-line 99\n"), "every old line is removed");
    assert!(diff.contains("\n+row 0\n") && diff.contains(&format!("\n+row {}\n", changes::DIFF_LINES - 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_content_shows_its_sizes_never_a_new_file() {
    let w = World::new().await;
    let png_before: &[u8] = &[0x89, b'P', b'N', b'G', 0, 0];
    let png_after: &[u8] = &[0x89, b'P', b'N', b'G', 0, 1, 2, 3];
    let change = recorded(&w, write("logo.png", Some(png_before), Some(png_after))).await;
    let diff = changes::diff(&w.engine, &change).unwrap();
    assert!(diff.contains("binary, 6 → 8 bytes"), "bytes are not shown as text: {diff}");
    assert!(diff.starts_with("--- a/logo.png\n+++ b/logo.png\n"), "both sides exist: {diff}");

    // A Latin-1 file on disk is not UTF-8: its preview must not claim the file is new.
    std::fs::write(root(&w).join("latin1.txt"), b"caf\xe9\n").unwrap();
    let shown = preview(Some(&root(&w)), "write_file", &json!({"path": "latin1.txt", "content": "café\n"}));
    let StepPreview::Write { diff, .. } = shown else { panic!("a write previews as a diff") };
    assert!(diff.contains("binary, 5 → 6 bytes"), "{diff}");
    assert!(!diff.contains("/dev/null"), "the file exists, so it is not shown as new: {diff}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_by_a_command_and_restored_by_hand_can_be_edited() {
    let w = World::new().await;
    let original = "# Sample\nA sample project.\n";
    let server = ScriptServer::openai([
        call("Removing.", "run_command", json!({"command": "rm README.md"})),
        answer(&["Removed."]),
        call(
            "Editing.",
            "edit_file",
            json!({"path": "README.md", "old_text": "Sample", "new_text": "Example"}),
        ),
        answer(&["Edited."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let first = agent.send_message(w.thread, "Remove the readme").await.unwrap();
    agent.approve(first, waiting_step(&waiting(&w.engine, first).await), Approver::Person).await.unwrap();
    assert_eq!(finished(&w.engine, first).await.status, RunStatus::Success);
    assert_eq!(w.file("README.md"), None);

    // Restored by hand while nothing watched: the log still says it was deleted.
    std::fs::write(w.project_dir.path().join("README.md"), original).unwrap();
    let second = agent.send_message(w.thread, "Edit the readme").await.unwrap();
    agent.approve(second, waiting_step(&waiting(&w.engine, second).await), Approver::Person).await.unwrap();
    let done = finished(&w.engine, second).await;
    assert_eq!(done.status, RunStatus::Success, "the write succeeded, so the run must too: {done:?}");
    assert_eq!(w.file("README.md").unwrap(), "# Example\nA sample project.\n");

    let files = w.engine.project_files(w.project).unwrap();
    let history: Vec<(Option<RunId>, bool, bool)> = files
        .newest_first()
        .take(3)
        .map(|c| (c.run_id, c.change_type.before().is_some(), c.change_type.after().is_some()))
        .collect();
    assert_eq!(
        history,
        [(Some(second), true, true), (None, false, true), (Some(first), true, false)],
        "deleted by the first run, created again outside any run, then edited by the second"
    );
    let observed = w
        .engine
        .store()
        .read_stream(StreamId::Project(w.project), 1)
        .unwrap()
        .into_iter()
        .filter(|e| e.metadata.contains_key(changes::META_OBSERVED))
        .count();
    assert_eq!(observed, 1, "the return of the file is marked as found, not made");

    // Reverting the edit gives back the hand-restored file, not a deletion.
    let (_, edit) = changes::run_changes(&w.engine, second).unwrap().remove(0);
    changes::revert(&w.engine, w.project, &root(&w), &edit, false).await.unwrap();
    assert_eq!(w.file("README.md").unwrap(), original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_before_a_write_records_what_changed_outside_first() {
    let w = World::new().await;
    let root = root(&w);
    let readme = std::fs::read(root.join("README.md")).unwrap();
    // The log says deleted; the disk has the file (restored by hand).
    recorded(&w, write("README.md", Some(&readme), Some(b"old"))).await;
    recorded(&w, write("README.md", Some(b"old"), None)).await;
    changes::check_before_write(&w.engine, w.project, &root, "README.md").await.unwrap();
    let known = w.engine.with_state(|s| s.file_at(w.project, "README.md").and_then(|f| f.content));
    assert_eq!(known, Some(ContentHash::of(&readme)), "the log now agrees with the disk");
    let last = w.engine.store().read_stream(StreamId::Project(w.project), 1).unwrap().pop().unwrap();
    assert_eq!(
        last.metadata.get(changes::META_OBSERVED).map(String::as_str),
        Some("before_write"),
        "the change is marked as found before a write"
    );

    let before = w.engine.store().last_sequence();
    changes::check_before_write(&w.engine, w.project, &root, "README.md").await.unwrap();
    changes::check_before_write(&w.engine, w.project, &root, "src/lib.rs").await.unwrap();
    changes::check_before_write(&w.engine, w.project, &root, "../outside.txt").await.unwrap();
    assert_eq!(
        w.engine.store().last_sequence(),
        before,
        "nothing to record: in step with the log, never seen, or outside the project"
    );
}

/// A project folder inside a parent that also holds `victim.txt`, a file outside the project.
struct Neighbourhood {
    parent: tempfile::TempDir,
}

impl Neighbourhood {
    fn new() -> Self {
        let parent = tempfile::TempDir::new().unwrap();
        std::fs::create_dir(parent.path().join("project")).unwrap();
        std::fs::write(parent.path().join("project/a.txt"), "new").unwrap();
        std::fs::write(parent.path().join("victim.txt"), "precious").unwrap();
        Self { parent }
    }

    fn project(&self) -> PathBuf {
        self.parent.path().join("project").canonicalize().unwrap()
    }

    fn victim(&self) -> PathBuf {
        self.parent.path().canonicalize().unwrap().join("victim.txt")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_imported_with_a_path_outside_the_project_is_refused_on_revert() {
    let place = Neighbourhood::new();
    let victim = place.victim();
    for hostile in ["../victim.txt".to_string(), victim.display().to_string()] {
        // A log with one honest change, exported...
        let source = tempfile::TempDir::new().unwrap();
        let engine = open_engine(source.path());
        let project = ProjectId::new();
        let path = place.project().display().to_string();
        engine
            .dispatch(Command::CreateProject { project_id: project, name: "p".into(), path })
            .await
            .unwrap();
        let change = write("a.txt", Some(b"old"), Some(b"new"));
        changes::record(&engine, project, None, &[change], &DispatchContext::default()).await.unwrap();
        let mut export = Vec::new();
        coder_store::export(engine.store(), &mut export, &mut |_, _| {}).unwrap();
        engine.close();
        // ...edited to point outside, and imported.
        let export = String::from_utf8(export).unwrap();
        let forged = export.replace("\"path\":\"a.txt\"", &format!("\"path\":{}", json!(hostile)));
        assert_ne!(forged, export, "the export names the file as {hostile:?} now");
        let target = tempfile::TempDir::new().unwrap();
        let store_path = target.path().join(coder_store::STORE_FILE);
        tokio::task::spawn_blocking(move || {
            let store = coder_store::EventStore::open(&store_path).unwrap();
            coder_store::import(&store, &mut forged.as_bytes(), &mut |_, _| {}).unwrap();
            store.close();
        })
        .await
        .unwrap();
        let engine = open_engine(target.path());
        let files = engine.project_files(project).unwrap();
        let imported = files.newest_first().next().expect("the forged change was imported").clone();
        assert_eq!(imported.path, hostile);

        let err = changes::revert(&engine, project, &place.project(), &imported, true)
            .await
            .expect_err("a path outside the project is never written, even forced");
        assert_eq!(err.code(), "outside_project", "{err}");
        assert!(err.to_string().contains(&hostile), "the error names the path: {err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "nothing outside was touched");
        assert_eq!(std::fs::read_to_string(place.project().join("a.txt")).unwrap(), "new");
        assert_eq!(files.len(), engine.project_files(project).unwrap().len(), "and nothing was recorded");
        engine.close();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_through_a_symlink_out_of_the_project_is_refused() {
    let w = World::new().await;
    let outside = tempfile::TempDir::new().unwrap();
    std::fs::write(outside.path().join("victim.txt"), "precious").unwrap();
    // Recorded while `out` was a real folder of the project; now it is a link to elsewhere.
    let change = recorded(&w, write("out/victim.txt", None, Some(b"precious"))).await;
    std::os::unix::fs::symlink(outside.path(), root(&w).join("out")).unwrap();
    let err = changes::revert(&w.engine, w.project, &root(&w), &change, true)
        .await
        .expect_err("reverting a creation deletes the file, but not through a link out");
    assert_eq!(err.code(), "outside_project", "{err}");
    assert_eq!(std::fs::read_to_string(outside.path().join("victim.txt")).unwrap(), "precious");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_making_names_the_log_cannot_hold_still_succeeds() {
    let w = World::new().await;
    let deep: Vec<String> = (0..12).map(|i| format!("{i:0>200}")).collect();
    let deep = deep.join("/");
    let command = format!(
        r#"printf x > "$(printf 'bad\377.txt')" && echo x > 'back\slash.txt' && mkdir -p {deep} && echo deep > {deep}/leaf.txt"#
    );
    let server = ScriptServer::openai([
        call("Making files.", "run_command", json!({"command": command})),
        answer(&["Done."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Make odd files").await.unwrap();
    agent.approve(run, waiting_step(&waiting(&w.engine, run).await), Approver::Person).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "odd names are skipped, never a failed run: {done:?}");
    assert!(w.project_dir.path().join("back\\slash.txt").exists(), "the command did run");
    let paths: Vec<String> =
        changes::run_changes(&w.engine, run).unwrap().into_iter().map(|(_, c)| c.path).collect();
    assert_eq!(paths, [format!("{deep}/leaf.txt")], "a long path within the limits is tracked");
}
