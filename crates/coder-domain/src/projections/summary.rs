//! Short one-line texts for list rows and tool cards.

use crate::values::ToolOutput;

/// At most `max_chars` characters of `text` on one line, with `…` when cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0;
    let mut last_space = false;
    for ch in text.trim().chars() {
        let ch = if ch.is_whitespace() { ' ' } else { ch };
        if ch == ' ' && last_space {
            continue;
        }
        last_space = ch == ' ';
        if count == max_chars {
            out.pop();
            out.push('…');
            return out;
        }
        out.push(ch);
        count += 1;
    }
    out
}

/// Fields that say what a tool call is about, in the order a summary prefers them.
const KEY_FIELDS: [&str; 4] = ["command", "path", "query", "pattern"];

/// A JSON value as one short line. An object with a field that says what the call is about
/// (`command`, `path`, `query`, `pattern`) shows that field's text; one with a single string
/// field shows that string; anything else its JSON.
pub fn summarize_json(value: &serde_json::Value, max_chars: usize) -> String {
    match value {
        serde_json::Value::String(s) => truncate(s, max_chars),
        serde_json::Value::Object(map) => {
            let key = KEY_FIELDS.iter().find_map(|k| map.get(*k).and_then(serde_json::Value::as_str));
            match (key, map.values().next()) {
                (Some(text), _) => truncate(text, max_chars),
                (None, Some(serde_json::Value::String(s))) if map.len() == 1 => truncate(s, max_chars),
                _ => truncate(&value.to_string(), max_chars),
            }
        }
        _ => truncate(&value.to_string(), max_chars),
    }
}

/// A tool output as one short line.
pub fn summarize_output(output: &ToolOutput, max_chars: usize) -> String {
    match output {
        ToolOutput::Text(text) => truncate(text, max_chars),
        ToolOutput::Json(value) => summarize_json(value, max_chars),
        ToolOutput::Binary(bytes) => format!("{} bytes", bytes.len()),
        ToolOutput::File { path, mime_type } => truncate(&format!("{path} ({mime_type})"), max_chars),
        ToolOutput::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_collapses_whitespace_and_marks_the_cut() {
        assert_eq!(truncate("  a \n\n b  ", 10), "a b");
        assert_eq!(truncate("abcdef", 3), "ab…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("ééééé", 2), "é…", "counts characters, not bytes");
    }

    #[test]
    fn single_field_objects_show_their_value() {
        let v = serde_json::json!({"path": "src/main.rs"});
        assert_eq!(summarize_json(&v, 100), "src/main.rs");
        assert_eq!(summarize_output(&ToolOutput::Binary(vec![1, 2]), 10), "2 bytes");
    }

    #[test]
    fn a_file_or_command_call_shows_what_it_is_about() {
        let write = serde_json::json!({"content": "# long text\n…", "path": "README.md"});
        assert_eq!(summarize_json(&write, 100), "README.md", "the path, not the content");
        let run = serde_json::json!({"command": "cargo test", "timeout_seconds": 60});
        assert_eq!(summarize_json(&run, 100), "cargo test");
        let other = serde_json::json!({"a": 1, "b": 2});
        assert_eq!(summarize_json(&other, 100), r#"{"a":1,"b":2}"#);
    }
}
