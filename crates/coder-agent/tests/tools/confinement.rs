//! No tool reads or writes outside the project root, whatever path it is given.

use coder_agent::tools::{paths, EditFile, ListFiles, ReadFile, Search, Tool, ToolError, WriteFile};
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
    assert!(
        matches!(paths::resolve_existing(root, ""), Err(ToolError::InvalidInput(_))),
        "an empty path is no path"
    );
    assert!(
        matches!(paths::resolve_for_write(root, "a\0b"), Err(ToolError::InvalidInput(_))),
        "NUL is refused"
    );
    assert_eq!(paths::relative(root, &root.join("src/main.rs")), "src/main.rs");
    assert_eq!(paths::relative(root, root), ".");
}
