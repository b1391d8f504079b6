use coder_agent::tools::{FileWrite, ToolError, WriteFile, WRITE_LIMIT};
use serde_json::json;

use crate::project::Project;

#[tokio::test]
async fn creates_a_file_and_its_directories() {
    let p = Project::new();
    let result =
        p.run(&WriteFile, json!({"path": "src/deep/new.rs", "content": "pub fn x() {}\n"})).await.unwrap();
    assert_eq!(
        result.writes,
        [FileWrite {
            path: "src/deep/new.rs".into(),
            before: None,
            after: Some(b"pub fn x() {}\n".to_vec())
        }],
        "a new file has no content before"
    );
    assert_eq!(p.read("src/deep/new.rs"), b"pub fn x() {}\n");
}

#[tokio::test]
async fn replaces_an_existing_file_and_reports_its_old_content() {
    let p = Project::new();
    p.file("notes.md", "old\n");
    let result = p.run(&WriteFile, json!({"path": "./notes.md", "content": "new\n"})).await.unwrap();
    assert_eq!(
        result.writes,
        [FileWrite {
            path: "notes.md".into(),
            before: Some(b"old\n".to_vec()),
            after: Some(b"new\n".to_vec())
        }],
        "the path is normalized and the old content kept"
    );
    assert_eq!(p.read("notes.md"), b"new\n");
}

#[tokio::test]
async fn writing_through_a_symlink_inside_the_project_changes_its_target() {
    let p = Project::new();
    p.file("real/config.toml", "a = 1\n");
    p.symlink("config.toml", &p.root().join("real/config.toml"));
    let result = p.run(&WriteFile, json!({"path": "config.toml", "content": "a = 2\n"})).await.unwrap();
    assert_eq!(result.writes[0].path, "real/config.toml", "the change is recorded on the file that changed");
    assert_eq!(p.read("real/config.toml"), b"a = 2\n");
}

#[tokio::test]
async fn directories_and_bad_input_are_refused() {
    let p = Project::new();
    p.file("src/lib.rs", "");
    let result = p.run(&WriteFile, json!({"path": "src", "content": "x"})).await;
    assert!(
        matches!(result, Err(ToolError::InvalidInput(_))),
        "a directory cannot be overwritten: {result:?}"
    );
    let result = p.run(&WriteFile, json!({"path": "src/lib.rs/x", "content": "x"})).await;
    assert!(matches!(result, Err(ToolError::Io(_))), "a file cannot be a parent directory: {result:?}");
    for input in [json!({"path": "a.txt"}), json!({"content": "x"}), json!({"path": "a.txt", "content": 5})] {
        let result = p.run(&WriteFile, input.clone()).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{input} is invalid: {result:?}");
    }
    assert!(!p.root().join("a.txt").exists(), "nothing was written on bad input");
}

#[tokio::test]
async fn content_over_the_limit_is_refused_before_anything_is_written() {
    let p = Project::new();
    let size = WRITE_LIMIT + 1;
    let content = "x".repeat(size as usize);
    let result = p.run(&WriteFile, json!({"path": "dir/big.txt", "content": content})).await;
    assert_eq!(
        result,
        Err(ToolError::TooLarge { path: "dir/big.txt".into(), size, limit: WRITE_LIMIT }),
        "what is written is recorded, so it is capped"
    );
    assert!(!p.root().join("dir").exists(), "not even the parent directory was created");
}

#[tokio::test]
async fn a_file_over_the_limit_is_not_replaced() {
    let p = Project::new();
    let size = WRITE_LIMIT + 1;
    std::fs::File::create(p.root().join("huge.log")).unwrap().set_len(size).unwrap();
    let result = p.run(&WriteFile, json!({"path": "huge.log", "content": "small\n"})).await;
    assert_eq!(
        result,
        Err(ToolError::TooLarge { path: "huge.log".into(), size, limit: WRITE_LIMIT }),
        "the replaced content is recorded too, so it must fit the limit"
    );
    assert_eq!(std::fs::metadata(p.root().join("huge.log")).unwrap().len(), size, "the file is unchanged");
}
