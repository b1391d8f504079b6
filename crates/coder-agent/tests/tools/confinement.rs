//! No tool reads or writes outside the project root, whatever path it is given.

use coder_agent::tools::paths::{self, PathProblem, NAME_LIMIT, PATH_LIMIT};
use coder_agent::tools::{EditFile, ListFiles, ReadFile, Search, Tool, ToolError, WriteFile};
use serde_json::{json, Value};

use crate::project::Project;

/// A project with ways out: `link` is a symlink to the outside secret, `linkdir` to the outside
/// folder, `dangling` to a file outside that does not exist yet.
fn project_with_escapes() -> Project {
    let p = Project::new();
    p.file("inside.txt", "TOPSECRET inside\n");
    p.symlink("link", &p.outside.join("secret.txt"));
    p.symlink("linkdir", &p.outside);
    p.symlink("dangling", &p.outside.join("created.txt"));
    p
}

fn input(tool: &dyn Tool, path: &str) -> Value {
    match tool.name() {
        "search" => json!({"pattern": "TOPSECRET", "path": path}),
        "write_file" => json!({"path": path, "content": "pwned\n"}),
        "edit_file" => json!({"path": path, "old_text": "TOPSECRET", "new_text": "pwned"}),
        _ => json!({"path": path}),
    }
}

#[tokio::test]
async fn every_path_tool_refuses_paths_leading_outside() {
    let p = project_with_escapes();
    let absolute_outside = p.outside.join("secret.txt").to_string_lossy().into_owned();
    let absolute_inside = p.root().join("inside.txt").to_string_lossy().into_owned();
    let escapes = [
        "../outside/secret.txt",
        "../x",
        "/etc/passwd",
        absolute_outside.as_str(),
        absolute_inside.as_str(),
        "a/../../outside/secret.txt",
        "./../outside/secret.txt",
        "link",
        "linkdir",
        "linkdir/secret.txt",
        "linkdir/new.txt",
        "linkdir/sub/new.txt",
    ];
    let tools: [&dyn Tool; 5] = [&ReadFile, &ListFiles, &Search, &WriteFile, &EditFile];
    for tool in tools {
        for path in escapes {
            let result = p.run(tool, input(tool, path)).await;
            assert_eq!(
                result,
                Err(ToolError::OutsideProject(path.to_owned())),
                "{} must refuse {path}",
                tool.name()
            );
            p.assert_outside_untouched();
        }
    }
    assert_eq!(p.read("inside.txt"), b"TOPSECRET inside\n", "no refused write landed inside either");
}

#[tokio::test]
async fn a_dangling_symlink_to_outside_is_neither_read_nor_written_through() {
    let p = project_with_escapes();
    assert_eq!(
        p.run(&ReadFile, json!({"path": "dangling"})).await,
        Err(ToolError::NotFound("dangling".into()))
    );
    let result = p.run(&WriteFile, json!({"path": "dangling", "content": "pwned\n"})).await;
    assert!(
        matches!(result, Err(ToolError::InvalidInput(_) | ToolError::OutsideProject(_))),
        "writing through the link would create a file outside: {result:?}"
    );
    p.assert_outside_untouched();
}

#[tokio::test]
async fn walks_do_not_follow_symlinks_out_of_the_project() {
    let p = project_with_escapes();
    let listing = p.text(&ListFiles, json!({})).await;
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        ["dangling", "inside.txt", "link", "linkdir"],
        "links are listed by name, never descended into"
    );
    let found = p.text(&Search, json!({"pattern": "TOPSECRET"})).await;
    assert_eq!(found, "inside.txt:1: TOPSECRET inside\n", "the outside secret is not searched through links");
}

#[tokio::test]
async fn resolution_keeps_paths_inside_the_root() {
    let p = project_with_escapes();
    let root = p.root();
    assert_eq!(paths::resolve_existing(root, "./inside.txt"), Ok(root.join("inside.txt")));
    assert_eq!(paths::resolve_existing(root, "."), Ok(root.to_path_buf()), "`.` is the root");
    assert_eq!(
        paths::resolve_for_write(root, "a/b/c.txt"),
        Ok(root.join("a/b/c.txt")),
        "missing parents are fine"
    );
    assert_eq!(
        paths::resolve_for_write(root, "linkdir/c.txt"),
        Err(ToolError::OutsideProject("linkdir/c.txt".into()))
    );
    assert_eq!(
        paths::resolve_existing(root, ""),
        Err(ToolError::InvalidPath { path: "".into(), problem: PathProblem::Empty }),
        "an empty path is no path"
    );
    assert_eq!(
        paths::resolve_for_write(root, "a\0b"),
        Err(ToolError::InvalidPath { path: "a\0b".into(), problem: PathProblem::NulByte }),
        "NUL is refused"
    );
    assert_eq!(paths::relative(root, &root.join("src/main.rs")), "src/main.rs");
    assert_eq!(paths::relative(root, root), ".");
}

/// The `InvalidPath` problem of `result`, or a panic saying what came instead.
fn problem(result: Result<coder_agent::tools::ToolResult, ToolError>, why: &str) -> PathProblem {
    match result {
        Err(ToolError::InvalidPath { problem, .. }) => problem,
        other => panic!("{why}: expected InvalidPath, got {other:?}"),
    }
}

#[tokio::test]
async fn writes_refuse_paths_no_file_should_have_before_touching_disk() {
    let p = Project::new();
    p.file("src/lib.rs", "old\n");
    let long_name = "n".repeat(NAME_LIMIT + 1);
    let long_path = format!("{}/f.txt", ["d"; PATH_LIMIT / 2].join("/"));
    let cases = [
        ("src\\lib.rs", PathProblem::Backslash, "a backslash is no separator on Unix"),
        ("src\\new.rs", PathProblem::Backslash, "a new file with a backslash is refused too"),
        (
            long_name.as_str(),
            PathProblem::NameTooLong { bytes: NAME_LIMIT + 1, limit: NAME_LIMIT },
            "no file system takes a longer name",
        ),
        (
            long_path.as_str(),
            PathProblem::TooLong { bytes: long_path.len(), limit: PATH_LIMIT },
            "no path this long can be opened",
        ),
    ];
    for (path, expected, why) in cases {
        let write = p.run(&WriteFile, json!({"path": path, "content": "x"})).await;
        assert_eq!(problem(write, why), expected, "write_file: {why}");
        let edit = p.run(&EditFile, json!({"path": path, "old_text": "old", "new_text": "new"})).await;
        assert_eq!(problem(edit, why), expected, "edit_file: {why}");
    }
    let names: Vec<_> = std::fs::read_dir(p.root()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["src"], "no refused path created a file or directory");
    assert_eq!(p.read("src/lib.rs"), b"old\n", "no refused edit changed the file");
    p.assert_outside_untouched();
}

#[tokio::test]
async fn a_write_through_a_link_to_a_name_that_is_not_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new();
    let odd = p.root().join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&odd, "old\n").unwrap();
    p.symlink("cafe.txt", &odd);
    let write = p.run(&WriteFile, json!({"path": "cafe.txt", "content": "new\n"})).await;
    assert_eq!(
        problem(write, "the change could not be recorded under the file's real name"),
        PathProblem::NotUtf8
    );
    let edit = p.run(&EditFile, json!({"path": "cafe.txt", "old_text": "old", "new_text": "new"})).await;
    assert_eq!(problem(edit, "the same holds for an edit"), PathProblem::NotUtf8);
    assert_eq!(std::fs::read(&odd).unwrap(), b"old\n", "the file is unchanged");
}

#[tokio::test]
async fn reads_refuse_overlong_paths_but_take_backslashes_literally() {
    let p = Project::new();
    p.file("a\\b.txt", "odd but legal\n");
    assert_eq!(
        p.text(&ReadFile, json!({"path": "a\\b.txt"})).await,
        "odd but legal\n",
        "an existing file whose name has a backslash can still be read"
    );
    let long_name = "n".repeat(NAME_LIMIT + 1);
    let read = p.run(&ReadFile, json!({"path": long_name})).await;
    assert_eq!(
        problem(read, "the limits hold for every tool"),
        PathProblem::NameTooLong { bytes: NAME_LIMIT + 1, limit: NAME_LIMIT }
    );
}

#[test]
fn a_huge_path_is_quoted_short_in_the_error() {
    let root = std::env::temp_dir();
    let huge = "x".repeat(1 << 20);
    let Err(error) = paths::resolve_for_write(&root, &huge) else { panic!("a 1 MiB path is refused") };
    assert!(
        error.to_string().len() < 400,
        "the error quotes a cut path, not a megabyte: {} bytes",
        error.to_string().len()
    );
}
