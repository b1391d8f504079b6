use coder_agent::tools::{Search, ToolError};
use serde_json::json;

use crate::project::Project;

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[tokio::test]
async fn finds_matching_lines_as_path_line_text() {
    let p = Project::new();
    p.file("src/main.rs", "fn main() {\n    run();\n}\nfn run() {}\n");
    p.file("src/util/mod.rs", "pub fn helper() {}\n");
    p.file("README.md", "Run it with cargo run.\n");
    let text = p.text(&Search, json!({"pattern": r"fn \w+\("})).await;
    assert_eq!(
        lines(&text),
        ["src/main.rs:1: fn main() {", "src/main.rs:4: fn run() {}", "src/util/mod.rs:1: pub fn helper() {}"],
        "every matching line, with its 1-based number"
    );
    let ci = p.text(&Search, json!({"pattern": "(?i)^run"})).await;
    assert_eq!(lines(&ci), ["README.md:1: Run it with cargo run."], "regex flags work");
    assert_eq!(p.text(&Search, json!({"pattern": "nothing like this"})).await, "no matches\n");
}

#[tokio::test]
async fn gitignored_hidden_and_binary_files_are_skipped() {
    let p = Project::new();
    p.file(".gitignore", "target/\n*.log\n");
    p.file("target/out.rs", "needle\n");
    p.file("app.log", "needle\n");
    p.file(".hidden/notes.txt", "needle\n");
    p.file(".git/config", "needle\n");
    p.file("data.bin", b"needle\0\x01\x02");
    p.file("src/lib.rs", "// needle\n");
    let text = p.text(&Search, json!({"pattern": "needle"})).await;
    assert_eq!(lines(&text), ["src/lib.rs:1: // needle"], "only the tracked text file matches");
}

#[tokio::test]
async fn path_narrows_the_search() {
    let p = Project::new();
    p.file("a/one.txt", "hit\n");
    p.file("b/two.txt", "hit\nhit again\n");
    assert_eq!(lines(&p.text(&Search, json!({"pattern": "hit", "path": "a"})).await), ["a/one.txt:1: hit"]);
    assert_eq!(
        lines(&p.text(&Search, json!({"pattern": "again", "path": "b/two.txt"})).await),
        ["b/two.txt:2: hit again"],
        "a single file can be searched"
    );
}

#[tokio::test]
async fn results_are_capped_with_a_note() {
    let p = Project::new();
    p.file("many.txt", "match\n".repeat(50));
    let text = p.text(&Search, json!({"pattern": "match", "max_results": 5})).await;
    let all = lines(&text);
    assert_eq!(all.len(), 6, "five results and a note: {text}");
    assert_eq!(all[4], "many.txt:5: match");
    assert!(all[5].contains("stopped after 5 matches"), "the note says results are cut: {}", all[5]);
}

#[tokio::test]
async fn bad_patterns_and_input_are_refused() {
    let p = Project::new();
    let result = p.run(&Search, json!({"pattern": "fn (unclosed"})).await;
    assert!(
        matches!(&result, Err(ToolError::InvalidInput(m)) if m.contains("regular expression")),
        "an invalid regex says so: {result:?}"
    );
    for input in
        [json!({}), json!({"pattern": ""}), json!({"pattern": "x", "max_results": 0}), json!({"query": "x"})]
    {
        let result = p.run(&Search, input.clone()).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{input} is invalid: {result:?}");
    }
    assert_eq!(
        p.run(&Search, json!({"pattern": "x", "path": "nope"})).await,
        Err(ToolError::NotFound("nope".into()))
    );
}
