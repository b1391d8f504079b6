use std::time::Duration;

use coder_agent::ProjectWatcher;
use coder_domain::*;

use crate::support::*;

/// Waits (up to 10 s) for the project to have `count` recorded changes.
async fn changes_reach(w: &World, count: usize) -> Vec<FileChangeRecord> {
    for _ in 0..200 {
        if let Ok(files) = w.engine.project_files(w.project) {
            if files.len() >= count {
                return files.newest_first().cloned().collect();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the watcher did not record {count} changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_outside_coder_are_recorded_with_their_contents() {
    let w = World::new().await;
    std::fs::write(w.project_dir.path().join(".gitignore"), "target/\n").unwrap();
    let root = w.project_dir.path().canonicalize().unwrap();
    let _watcher = ProjectWatcher::start(w.engine.clone(), w.project, root.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::create_dir(root.join("target")).unwrap();
    std::fs::write(root.join("target/build.log"), "ignored\n").unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn answer() -> u32 { 43 }\n").unwrap();
    let changes = changes_reach(&w, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all: Vec<String> =
        w.engine.project_files(w.project).unwrap().newest_first().map(|c| c.path.clone()).collect();
    assert_eq!(all, ["src/lib.rs"], "ignored files are not recorded");
    let change = &changes[0];
    assert_eq!(change.run_id, None, "no run was executing");
    let before = w.engine.store().blob(change.change_type.before().unwrap()).unwrap().unwrap();
    assert_eq!(before, b"pub fn answer() -> u32 { 41 }\n", "the content before is the exact old text");
    let after = w.engine.store().blob(change.change_type.after().unwrap()).unwrap().unwrap();
    assert_eq!(after, b"pub fn answer() -> u32 { 43 }\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_while_a_run_executes_are_attributed_to_it() {
    let w = World::new().await;
    let root = w.project_dir.path().canonicalize().unwrap();
    let run = RunId::new();
    w.engine
        .dispatch(Command::StartRun { run_id: run, thread_id: w.thread, agent_name: "coder".into() })
        .await
        .unwrap();
    w.engine
        .dispatch(Command::StartStep {
            run_id: run,
            step_id: StepId::new(),
            step_type: StepType::ModelCall,
            description: "m".into(),
        })
        .await
        .unwrap();
    let _watcher = ProjectWatcher::start(w.engine.clone(), w.project, root.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::write(root.join("new.txt"), "made while the run ran\n").unwrap();
    let changes = changes_reach(&w, 1).await;
    assert_eq!(changes[0].path, "new.txt");
    assert_eq!(changes[0].run_id, Some(run), "attributed to the executing run");
    assert!(matches!(changes[0].change_type, FileChangeType::Created { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_written_continuously_does_not_hold_up_the_others() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let w = World::new().await;
    let root = w.project_dir.path().canonicalize().unwrap();
    let _watcher = ProjectWatcher::start(w.engine.clone(), w.project, root.clone()).unwrap();
    let writing = Arc::new(AtomicBool::new(true));
    let busy = {
        let (root, writing) = (root.clone(), writing.clone());
        tokio::spawn(async move {
            for i in 0..100 {
                std::fs::write(root.join("busy.log"), format!("line {i}\n")).unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            writing.store(false, Ordering::SeqCst);
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(root.join("quiet.txt"), "written once\n").unwrap();
    let mut recorded = false;
    for _ in 0..200 {
        let paths: Vec<String> = w
            .engine
            .project_files(w.project)
            .map(|f| f.newest_first().map(|c| c.path.clone()).collect())
            .unwrap_or_default();
        if paths.iter().any(|p| p == "quiet.txt") {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recorded, "the quiet file is recorded");
    assert!(writing.load(Ordering::SeqCst), "while the busy file is still being written");
    busy.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipes_and_names_the_log_cannot_hold_do_not_stop_the_watcher() {
    use std::os::unix::ffi::OsStrExt as _;
    let w = World::new().await;
    let root = w.project_dir.path().canonicalize().unwrap();
    let _watcher = ProjectWatcher::start(w.engine.clone(), w.project, root.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let made = std::process::Command::new("mkfifo").arg(root.join("pipe")).status().unwrap();
    assert!(made.success(), "mkfifo makes the named pipe");
    std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"bad\xff.txt")), "x").unwrap();
    std::fs::write(root.join("back\\slash.txt"), "x").unwrap();
    std::fs::write(root.join("src/lib.rs"), "pub fn answer() -> u32 { 43 }\n").unwrap();
    // `changes_reach` fails the test after 10 s if the watcher got stuck on the pipe.
    changes_reach(&w, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all: Vec<String> =
        w.engine.project_files(w.project).unwrap().newest_first().map(|c| c.path.clone()).collect();
    assert_eq!(all, ["src/lib.rs"], "the pipe and the odd names are left out; the edit is recorded");
    // A reader stuck on the pipe would keep the runtime from shutting down; give it a writer.
    let pipe = root.join("pipe");
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(pipe)));
}

/// A command that runs long enough for the watcher to record its write first: the run's own
/// record of the same write then adds nothing — no invented change back to the old content, no
/// second copy of the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_watcher_recorded_first_is_not_recorded_again() {
    let w = World::new().await;
    let root = w.project_dir.path().canonicalize().unwrap();
    let _watcher = ProjectWatcher::start(w.engine.clone(), w.project, root.clone()).unwrap();
    let write = coder_agent::tools::FileWrite {
        path: "made.txt".into(),
        before: None,
        after: Some(b"made by a command\n".to_vec()),
    };
    std::fs::write(root.join("made.txt"), "made by a command\n").unwrap();
    let seen = changes_reach(&w, 1).await;
    assert_eq!(seen.len(), 1, "the watcher recorded the write");
    let stored = coder_agent::changes::record(&w.engine, w.project, None, &[write], &Default::default())
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing new to record: {stored:?}");
    assert_eq!(w.engine.project_files(w.project).unwrap().len(), 1, "one change, the real one");
}
