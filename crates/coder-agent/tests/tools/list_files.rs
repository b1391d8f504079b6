use coder_agent::tools::{ListFiles, ToolError};
use serde_json::json;

use crate::project::Project;

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[tokio::test]
async fn lists_files_and_directories_sorted_relative_with_slashes() {
    let p = Project::new();
    p.file("src/main.rs", "");
    p.file("src/tools/read.rs", "");
    p.file("Cargo.toml", "");
    p.file("README.md", "");
    std::fs::create_dir(p.root().join("empty")).unwrap();
    let text = p.text(&ListFiles, json!({})).await;
    assert_eq!(
        lines(&text),
        ["Cargo.toml", "README.md", "empty/", "src/", "src/main.rs", "src/tools/", "src/tools/read.rs"],
        "depth-first, sorted by name, directories marked with `/`"
    );
    assert_eq!(p.text(&ListFiles, json!({"path": ""})).await, text, "an empty path is the root");
    assert_eq!(p.text(&ListFiles, json!({"path": "."})).await, text, "`.` is the root");
}

#[tokio::test]
async fn hidden_files_and_git_are_skipped() {
    let p = Project::new();
    p.file(".git/config", "[core]\n");
    p.file(".git/HEAD", "ref: refs/heads/main\n");
    p.file(".env", "KEY=1\n");
    p.file(".github/workflows/ci.yml", "");
    p.file("main.rs", "");
    let text = p.text(&ListFiles, json!({})).await;
    assert_eq!(lines(&text), ["main.rs"], "hidden entries and .git are left out");
}

#[tokio::test]
async fn gitignore_is_respected_outside_a_git_repository() {
    let p = Project::new();
    p.file(".gitignore", "target/\n*.log\n");
    p.file("src/.gitignore", "generated.rs\n");
    p.file("target/debug/app", "");
    p.file("build.log", "");
    p.file("src/debug.log", "");
    p.file("src/generated.rs", "");
    p.file("src/lib.rs", "");
    p.file("notes.txt", "");
    let text = p.text(&ListFiles, json!({})).await;
    assert_eq!(
        lines(&text),
        ["notes.txt", "src/", "src/lib.rs"],
        "ignored files and directories are left out"
    );
}

#[tokio::test]
async fn a_subdirectory_is_listed_with_the_roots_ignore_rules() {
    let p = Project::new();
    p.file(".gitignore", "*.log\ntarget/\n");
    p.file("src/a.rs", "");
    p.file("src/nested/b.rs", "");
    p.file("src/trace.log", "");
    p.file("other.rs", "");
    let text = p.text(&ListFiles, json!({"path": "src"})).await;
    assert_eq!(
        lines(&text),
        ["src/a.rs", "src/nested/", "src/nested/b.rs"],
        "only the subdirectory, root rules applied"
    );
    assert_eq!(lines(&p.text(&ListFiles, json!({"path": "src/nested/"})).await), ["src/nested/b.rs"]);

    p.file("target/debug/app", "");
    let text = p.text(&ListFiles, json!({"path": "target"})).await;
    assert_eq!(
        lines(&text),
        ["target/debug/", "target/debug/app"],
        "an ignored directory asked for by name is shown"
    );
}

#[tokio::test]
async fn long_listings_are_capped_with_a_note() {
    let p = Project::new();
    for i in 0..30 {
        p.file(&format!("f{i:02}.txt"), "");
    }
    let text = p.text(&ListFiles, json!({"max_entries": 10})).await;
    let all = lines(&text);
    assert_eq!(
        all[..10],
        [
            "f00.txt", "f01.txt", "f02.txt", "f03.txt", "f04.txt", "f05.txt", "f06.txt", "f07.txt",
            "f08.txt", "f09.txt"
        ]
    );
    assert_eq!(all.len(), 11, "ten entries and one note: {text}");
    assert!(all[10].contains("stopped after 10 entries"), "the note says the listing is cut: {}", all[10]);

    let exact = p.text(&ListFiles, json!({"max_entries": 30})).await;
    assert_eq!(lines(&exact).len(), 30, "exactly the maximum is not truncated: {exact}");
}

#[tokio::test]
async fn a_file_an_empty_directory_and_bad_input() {
    let p = Project::new();
    p.file("src/main.rs", "");
    std::fs::create_dir(p.root().join("empty")).unwrap();
    assert_eq!(
        p.text(&ListFiles, json!({"path": "src/main.rs"})).await,
        "src/main.rs\n",
        "a file lists itself"
    );
    let empty = p.text(&ListFiles, json!({"path": "empty"})).await;
    assert!(empty.starts_with('(') && empty.contains("no files"), "an empty directory says so: {empty}");
    assert_eq!(
        p.run(&ListFiles, json!({"path": "missing"})).await,
        Err(ToolError::NotFound("missing".into()))
    );
    for input in [json!({"max_entries": 0}), json!({"max_entries": 1_000_000}), json!({"depth": 2})] {
        let result = p.run(&ListFiles, input.clone()).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{input} is invalid: {result:?}");
    }
}
