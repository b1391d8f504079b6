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
        rules: None,
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

fn rule(effect: RuleEffect, tool: &str, pattern: &str) -> PermissionRule {
    PermissionRule { effect, tool: tool.into(), pattern: pattern.into() }
}

fn set_rules(project_id: ProjectId, rules: Vec<PermissionRule>) -> Command {
    Command::UpdateProject {
        project_id,
        changes: ProjectChanges { rules: Some(rules), ..Default::default() },
    }
}

#[test]
fn rules_replace_the_projects_list_and_are_trimmed() {
    let w = World::new();
    let mut s = w.scenario();
    let given = vec![
        rule(RuleEffect::Allow, " run_command ", " cargo test* "),
        rule(RuleEffect::Deny, "*", "!src/**"),
    ];
    let stored =
        vec![rule(RuleEffect::Allow, "run_command", "cargo test*"), rule(RuleEffect::Deny, "*", "!src/**")];
    s.when(set_rules(w.project, given.clone())).then_expect_events(&[DomainEvent::ProjectUpdated {
        project_id: w.project,
        changes: ProjectChanges { rules: Some(stored.clone()), ..Default::default() },
        timestamp: now(),
    }]);
    s.run(set_rules(w.project, given));
    assert_eq!(s.state.projects[&w.project].rules, stored, "the list is kept in order, trimmed");
    s.run(set_rules(w.project, vec![rule(RuleEffect::Ask, "write_file", "src/**")]));
    assert_eq!(
        s.state.projects[&w.project].rules,
        [rule(RuleEffect::Ask, "write_file", "src/**")],
        "a new list replaces the old one whole"
    );
    s.run(Command::UpdateProject {
        project_id: w.project,
        changes: ProjectChanges { name: Some("renamed".into()), ..Default::default() },
    });
    assert_eq!(s.state.projects[&w.project].rules.len(), 1, "changes without rules leave them as they are");
    s.run(set_rules(w.project, Vec::new()));
    assert!(s.state.projects[&w.project].rules.is_empty(), "an empty list removes every rule");
}

#[test]
fn malformed_rules_are_refused_and_nothing_is_recorded() {
    let w = World::new();
    let s = w.scenario();
    let allow = |tool: &str, pattern: &str| rule(RuleEffect::Allow, tool, pattern);
    // Each: an empty pattern, an empty tool, a pattern on two lines, the same rule twice, a
    // tool name over the limit.
    for bad in [
        vec![allow("run_command", "  ")],
        vec![allow("", "cargo test")],
        vec![allow("run_command", "cargo\ntest")],
        vec![allow("run_command", "ls"), allow("run_command", " ls")],
        vec![allow(&"t".repeat(300), "ls")],
    ] {
        s.when(set_rules(w.project, bad)).then_expect_error("invalid_input");
    }
    s.when(set_rules(w.project, vec![allow("run_command", &"x".repeat(limits::RULE_PATTERN_BYTES + 1))]))
        .then_expect_error("too_large");
    let many = (0..=limits::RULES).map(|i| allow("run_command", &format!("cmd{i}"))).collect();
    s.when(set_rules(w.project, many)).then_expect_error("invalid_input");
    s.when(set_rules(ProjectId::new(), vec![allow("run_command", "ls")])).then_expect_error("not_found");
}

#[test]
fn a_project_update_written_before_rules_existed_still_decodes() {
    // As the first schema version wrote it: no `rules` field at all.
    let json = r#"{"name":"Coder","tool_approvals":{"run_command":"AlwaysAllow"}}"#;
    let changes: ProjectChanges = serde_json::from_str(json).expect("old changes decode");
    assert_eq!(changes.rules, None, "an old update leaves the rules as they are");
    assert_eq!(changes.tool_approvals["run_command"], ToolApproval::AlwaysAllow);
    let project = r#"{"id":"0190a000-0000-7000-8000-000000000001","name":"p","path":"/p",
        "tool_approvals":{},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    let project: Project = serde_json::from_str(project).expect("a project without rules decodes");
    assert!(project.rules.is_empty());
    // And what is written now reads back, with the effect as a word a person can edit.
    let with_rules =
        ProjectChanges { rules: Some(vec![rule(RuleEffect::Deny, "*", ".env")]), ..Default::default() };
    let text = serde_json::to_string(&with_rules).unwrap();
    assert_eq!(text, r#"{"rules":[{"effect":"deny","tool":"*","pattern":".env"}]}"#);
    assert_eq!(serde_json::from_str::<ProjectChanges>(&text).unwrap(), with_rules);
    let untouched = serde_json::to_string(&ProjectChanges { name: Some("x".into()), ..Default::default() });
    assert_eq!(untouched.unwrap(), r#"{"name":"x"}"#, "changes without rules are written as before");
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
