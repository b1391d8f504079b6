//! Projects and file changes: given / when / then.

use std::collections::BTreeMap;

use coder_domain::*;

use crate::support::*;

#[test]
fn create_project() {
    let project_id = ProjectId::new();
    given([])
        .when(Command::CreateProject { project_id, name: "coder".into(), path: "/home/me/coder".into() })
        .then_expect_events(&[DomainEvent::ProjectCreated {
            project_id,
            name: "coder".into(),
            path: "/home/me/coder".into(),
            timestamp: now(),
        }]);
}

#[test]
fn create_project_errors() {
    let w = World::new();
    let s = w.scenario();
    let create = |project_id, name: &str, path: &str| Command::CreateProject {
        project_id,
        name: name.into(),
        path: path.into(),
    };
    s.when(create(w.project, "again", "/elsewhere")).then_expect_error("already_exists");
    s.when(create(ProjectId::new(), "same path", "/tmp/demo")).then_expect_error("already_exists");
    s.when(create(ProjectId::new(), "", "/x")).then_expect_error("invalid_input");
    s.when(create(ProjectId::new(), "rel", "relative/path")).then_expect_error("invalid_input");
    s.when(create(ProjectId::new(), "up", "/a/../b")).then_expect_error("invalid_input");
    s.when(create(ProjectId::new(), "long", &format!("/{}", "a".repeat(5000))))
        .then_expect_error("too_large");
}

#[test]
fn update_project() {
    let w = World::new();
    let s = w.scenario();
    let changes = ProjectChanges {
        name: Some("renamed".into()),
        path: None,
        tool_approvals: BTreeMap::from([("write_file".to_string(), ToolApproval::AlwaysAllow)]),
    };
    s.when(Command::UpdateProject { project_id: w.project, changes: changes.clone() }).then_expect_events(&[
        DomainEvent::ProjectUpdated { project_id: w.project, changes, timestamp: now() },
    ]);
    s.when(Command::UpdateProject { project_id: w.project, changes: ProjectChanges::default() })
        .then_expect_error("nothing_to_change");
    s.when(Command::UpdateProject { project_id: ProjectId::new(), changes: ProjectChanges::default() })
        .then_expect_error("not_found");
    s.when(Command::UpdateProject {
        project_id: w.project,
        changes: ProjectChanges { path: Some("not/absolute".into()), ..Default::default() },
    })
    .then_expect_error("invalid_input");
}

#[test]
fn always_allow_is_kept_in_the_project() {
    let w = World::new();
    let mut s = w.scenario();
    s.run(Command::UpdateProject {
        project_id: w.project,
        changes: ProjectChanges {
            tool_approvals: BTreeMap::from([("run_command".to_string(), ToolApproval::AlwaysAllow)]),
            ..Default::default()
        },
    });
    assert_eq!(s.state.projects[&w.project].tool_approval("run_command"), Some(ToolApproval::AlwaysAllow));
    assert_eq!(s.state.projects[&w.project].tool_approval("write_file"), None);
}

#[test]
fn record_file_change() {
    let w = World::new();
    let mut s = w.scenario();
    let v1 = ContentHash::of(b"one");
    let v2 = ContentHash::of(b"two");
    let record = |path: &str, change_type| Command::RecordFileChange {
        project_id: w.project,
        path: path.into(),
        change_type,
        run_id: Some(w.run),
    };
    s.when(record("src/lib.rs", FileChangeType::Created { after: v1 })).then_expect_events(&[
        DomainEvent::FileChanged {
            project_id: w.project,
            file_id: FileId::for_path(w.project, "src/lib.rs"),
            path: "src/lib.rs".into(),
            change_type: FileChangeType::Created { after: v1 },
            timestamp: now(),
            run_id: Some(w.run),
        },
    ]);
    s.run(record("src/lib.rs", FileChangeType::Created { after: v1 }));
    // A change must start from the content the log knows.
    s.when(record("src/lib.rs", FileChangeType::Modified { before: v2, after: v1 }))
        .then_expect_error("stale_file_change");
    s.run(record("src/lib.rs", FileChangeType::Modified { before: v1, after: v2 }));
    assert_eq!(s.state.file_at(w.project, "src/lib.rs").unwrap().content, Some(v2));
}

#[test]
fn a_file_seen_deleted_comes_back_only_as_created() {
    let w = World::new();
    let mut s = w.scenario();
    let (v1, v2, v3) = (ContentHash::of(b"one"), ContentHash::of(b"two"), ContentHash::of(b"three"));
    let record = |change_type| Command::RecordFileChange {
        project_id: w.project,
        path: "notes.md".into(),
        change_type,
        run_id: None,
    };
    s.run(record(FileChangeType::Created { after: v1 }));
    s.run(record(FileChangeType::Deleted { before: v1 }));
    let file = s.state.file_at(w.project, "notes.md").expect("a deleted file is still known");
    assert!(file.is_deleted(), "the log saw it deleted, which is not the same as never seeing it");
    // Restored by hand and then edited: the edit cannot start from content the log never saw...
    s.when(record(FileChangeType::Modified { before: v2, after: v3 })).then_expect_error("stale_file_change");
    s.when(record(FileChangeType::Deleted { before: v2 })).then_expect_error("stale_file_change");
    // ...so the return is recorded as a creation with its content, and the edit starts from it.
    s.run(record(FileChangeType::Created { after: v2 }));
    s.run(record(FileChangeType::Modified { before: v2, after: v3 }));
    assert_eq!(s.state.file_at(w.project, "notes.md").unwrap().content, Some(v3));
}

#[test]
fn a_path_never_seen_takes_any_change() {
    let w = World::new();
    let mut s = w.scenario();
    let (v1, v2) = (ContentHash::of(b"one"), ContentHash::of(b"two"));
    let record = |path: &str, change_type| Command::RecordFileChange {
        project_id: w.project,
        path: path.into(),
        change_type,
        run_id: None,
    };
    assert!(s.state.file_at(w.project, "old.rs").is_none(), "never seen: no file entity at all");
    // The files predate the project's history, so their first change may start anywhere.
    s.run(record("old.rs", FileChangeType::Modified { before: v1, after: v2 }));
    s.run(record("gone.rs", FileChangeType::Deleted { before: v1 }));
    assert_eq!(s.state.file_at(w.project, "old.rs").unwrap().content, Some(v2));
    assert!(s.state.file_at(w.project, "gone.rs").unwrap().is_deleted());
}

#[test]
fn record_file_change_errors() {
    let w = World::new();
    let s = w.scenario();
    let change = FileChangeType::Created { after: ContentHash::of(b"x") };
    for bad in ["", "/etc/passwd", "../outside", "a/../../b", "a//b", "./a", "a\\b"] {
        s.when(Command::RecordFileChange {
            project_id: w.project,
            path: bad.into(),
            change_type: change,
            run_id: None,
        })
        .then_expect_error("invalid_input");
    }
    s.when(Command::RecordFileChange {
        project_id: ProjectId::new(),
        path: "a".into(),
        change_type: change,
        run_id: None,
    })
    .then_expect_error("not_found");
    s.when(Command::RecordFileChange {
        project_id: w.project,
        path: "a".into(),
        change_type: change,
        run_id: Some(RunId::new()),
    })
    .then_expect_error("not_found");
}

/// Every error code `DomainError::CODES` lists is produced by some test in this binary.
#[test]
fn error_codes_are_stable() {
    assert_eq!(
        DomainError::CODES,
        [
            "empty_message",
            "too_large",
            "invalid_input",
            "not_found",
            "already_exists",
            "thread_archived",
            "illegal_transition",
            "step_not_awaiting_approval",
            "approval_already_decided",
            "stale_file_change",
            "nothing_to_change",
        ],
        "codes cross the IPC boundary and may only be added to"
    );
}
