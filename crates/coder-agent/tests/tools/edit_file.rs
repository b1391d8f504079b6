use coder_agent::tools::{EditFile, FileWrite, ToolError, EDIT_LIMIT};
use serde_json::json;

use crate::project::Project;

const SOURCE: &str = "fn a() {\n    1\n}\n\nfn b() {\n    1\n}\n";

#[tokio::test]
async fn replaces_a_unique_snippet() {
    let p = Project::new();
    p.file("src/lib.rs", SOURCE);
    let input = json!({"path": "src/lib.rs", "old_text": "fn b() {\n    1", "new_text": "fn b() {\n    2"});
    let result = p.run(&EditFile, input).await.unwrap();
    let expected = "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n";
    assert_eq!(
        result.writes,
        [FileWrite {
            path: "src/lib.rs".into(),
            before: Some(SOURCE.as_bytes().to_vec()),
            after: Some(expected.as_bytes().to_vec())
        }],
        "the write carries the whole file before and after"
    );
    assert_eq!(p.read("src/lib.rs"), expected.as_bytes());
}

#[tokio::test]
async fn a_missing_snippet_leaves_the_file_untouched() {
    let p = Project::new();
    p.file("src/lib.rs", SOURCE);
    let input = json!({"path": "src/lib.rs", "old_text": "fn c()", "new_text": "fn d()"});
    assert_eq!(p.run(&EditFile, input).await, Err(ToolError::SnippetNotFound("src/lib.rs".into())));
    assert_eq!(p.read("src/lib.rs"), SOURCE.as_bytes(), "the file is unchanged");
}

#[tokio::test]
async fn an_ambiguous_snippet_leaves_the_file_untouched() {
    let p = Project::new();
    p.file("src/lib.rs", SOURCE);
    let input = json!({"path": "src/lib.rs", "old_text": "    1\n}", "new_text": "    3\n}"});
    assert_eq!(
        p.run(&EditFile, input).await,
        Err(ToolError::SnippetAmbiguous { path: "src/lib.rs".into(), count: 2 }),
        "the snippet is in both functions"
    );
    assert_eq!(p.read("src/lib.rs"), SOURCE.as_bytes(), "the file is unchanged");

    p.file("aaa.txt", "aaa");
    let overlapping = p.run(&EditFile, json!({"path": "aaa.txt", "old_text": "aa", "new_text": "b"})).await;
    assert_eq!(
        overlapping,
        Err(ToolError::SnippetAmbiguous { path: "aaa.txt".into(), count: 2 }),
        "overlapping occurrences are two places the model could mean"
    );
    assert_eq!(p.read("aaa.txt"), b"aaa");
}

#[tokio::test]
async fn bad_edits_are_refused() {
    let p = Project::new();
    p.file("f.txt", "text\n");
    p.file("bin.dat", b"\xff\xfe\x00");
    for (input, why) in [
        (json!({"path": "f.txt", "old_text": "", "new_text": "x"}), "an empty snippet matches everywhere"),
        (json!({"path": "f.txt", "old_text": "text", "new_text": "text"}), "no change"),
        (json!({"path": "f.txt", "old_text": "text"}), "new_text is missing"),
        (json!({"path": "bin.dat", "old_text": "x", "new_text": "y"}), "not text"),
    ] {
        let result = p.run(&EditFile, input).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{why}: {result:?}");
    }
    assert_eq!(
        p.run(&EditFile, json!({"path": "new.txt", "old_text": "a", "new_text": "b"})).await,
        Err(ToolError::NotFound("new.txt".into())),
        "edit_file does not create files"
    );
    assert_eq!(p.read("f.txt"), b"text\n");
}

#[tokio::test]
async fn texts_and_results_over_the_limit_are_refused_and_the_file_kept() {
    let p = Project::new();
    p.file("f.txt", "short\n");
    let big = "y".repeat(EDIT_LIMIT as usize + 1);
    let result = p.run(&EditFile, json!({"path": "f.txt", "old_text": "short", "new_text": big})).await;
    assert!(
        matches!(&result, Err(ToolError::InvalidInput(why)) if why.starts_with("new_text is")),
        "new_text alone is over the limit: {:?}",
        result.map(|_| ())
    );

    let almost = "z".repeat(EDIT_LIMIT as usize - 2);
    p.file("g.txt", format!("{almost}ab"));
    let grown = "b".repeat(4);
    let result = p.run(&EditFile, json!({"path": "g.txt", "old_text": "ab", "new_text": grown})).await;
    assert_eq!(
        result,
        Err(ToolError::TooLarge { path: "g.txt".into(), size: EDIT_LIMIT + 2, limit: EDIT_LIMIT }),
        "the file after the edit is recorded, so it must fit the limit too"
    );
    assert_eq!(p.read("f.txt"), b"short\n", "a refused edit changes nothing");
    assert_eq!(p.read("g.txt").len() as u64, EDIT_LIMIT, "a refused edit changes nothing");
}
