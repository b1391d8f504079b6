use coder_agent::tools::{ReadFile, ToolError, READ_LIMIT};
use serde_json::json;

use crate::project::Project;

#[tokio::test]
async fn reads_a_whole_file() {
    let p = Project::new();
    p.file("src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n");
    let text = p.text(&ReadFile, json!({"path": "src/main.rs"})).await;
    assert_eq!(text, "fn main() {\n    println!(\"hi\");\n}\n", "the text comes back exactly as stored");
}

#[tokio::test]
async fn reads_a_range_of_lines() {
    let p = Project::new();
    p.file("f.txt", "one\ntwo\nthree\nfour\nfive");
    let read = |start: Option<u64>, end: Option<u64>| {
        let mut input = json!({"path": "f.txt"});
        if let Some(start) = start {
            input["start_line"] = json!(start);
        }
        if let Some(end) = end {
            input["end_line"] = json!(end);
        }
        input
    };
    assert_eq!(p.text(&ReadFile, read(Some(2), Some(3))).await, "two\nthree\n", "lines 2 to 3, inclusive");
    assert_eq!(p.text(&ReadFile, read(Some(4), None)).await, "four\nfive", "from line 4 to the end");
    assert_eq!(p.text(&ReadFile, read(None, Some(1))).await, "one\n", "up to line 1");
    assert_eq!(
        p.text(&ReadFile, read(Some(5), Some(99))).await,
        "five",
        "an end past the last line stops there"
    );
    assert_eq!(p.text(&ReadFile, read(Some(3), Some(3))).await, "three\n", "a single line");

    for (start, end, why) in [
        (Some(6), None, "start past the last line"),
        (Some(3), Some(2), "end before start"),
        (Some(0), Some(2), "lines are 1-based"),
    ] {
        let result = p.run(&ReadFile, read(start, end)).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{why}: {result:?}");
    }
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_unless_a_range_is_given() {
    let p = Project::new();
    let line = "x".repeat(99) + "\n";
    let lines = (READ_LIMIT / 100 + 10) as usize;
    p.file("big.txt", line.repeat(lines));
    let size = (lines * 100) as u64;

    let whole = p.run(&ReadFile, json!({"path": "big.txt"})).await;
    assert_eq!(
        whole,
        Err(ToolError::TooLarge { path: "big.txt".into(), size, limit: READ_LIMIT }),
        "the whole file is over the limit"
    );

    let head = p.text(&ReadFile, json!({"path": "big.txt", "start_line": 1, "end_line": 2})).await;
    assert_eq!(head, line.repeat(2), "a range reads only its lines");
    let tail = p.text(&ReadFile, json!({"path": "big.txt", "start_line": lines})).await;
    assert_eq!(tail, line, "the last line of a large file can be read by its number");

    let too_many = p.run(&ReadFile, json!({"path": "big.txt", "start_line": 1})).await;
    assert!(
        matches!(too_many, Err(ToolError::TooLarge { .. })),
        "a range that adds up to more than the limit is refused too: {too_many:?}"
    );
}

#[tokio::test]
async fn binary_files_are_not_returned() {
    let p = Project::new();
    p.file("image.bin", [0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0xff, 0xfe]);
    p.file("latin1.txt", b"caf\xe9\n");
    for path in ["image.bin", "latin1.txt"] {
        let text = p.text(&ReadFile, json!({"path": path})).await;
        assert!(
            text.contains("binary file"),
            "{path} is not UTF-8 text, so only a note is returned: {text:?}"
        );
        assert!(
            !text.contains('\0') && !text.contains('\u{fffd}'),
            "no raw bytes leak into the note: {text:?}"
        );
    }
}

#[tokio::test]
async fn missing_files_directories_and_bad_input_are_errors() {
    let p = Project::new();
    p.file("src/lib.rs", "");
    assert_eq!(
        p.run(&ReadFile, json!({"path": "nope.rs"})).await,
        Err(ToolError::NotFound("nope.rs".into()))
    );
    assert!(
        matches!(p.run(&ReadFile, json!({"path": "src"})).await, Err(ToolError::InvalidInput(m)) if m.contains("directory")),
        "a directory cannot be read as a file"
    );
    for input in
        [json!({}), json!({"path": 3}), json!({"path": "src/lib.rs", "lines": "1-2"}), json!("src/lib.rs")]
    {
        let result = p.run(&ReadFile, input.clone()).await;
        assert!(
            matches!(&result, Err(ToolError::InvalidInput(m)) if m.starts_with("read_file")),
            "{input} is not a valid read_file input: {result:?}"
        );
    }
    assert_eq!(p.text(&ReadFile, json!({"path": "src/lib.rs"})).await, "", "an empty file is empty text");
}
