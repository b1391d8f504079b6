//! Accessibility checks in the real window: axe-core (installed with the UI's packages) runs on
//! the page as it is and reports what breaks WCAG 2.0/2.1 levels A and AA — contrast, labels,
//! names, roles.

use serde_json::Value;

use crate::{paths, App};

/// axe-core's rules for WCAG 2.0 and 2.1, levels A and AA.
const WCAG_AA: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

/// The environment that starts the app in the desktop's dark theme.
pub const DARK_THEME: (&str, &str) = ("GTK_THEME", "Adwaita:dark");

/// The violations on the page now, one line each: rule, help, and the elements.
pub fn violations(app: &App) -> Vec<String> {
    let source = std::fs::read_to_string(paths::repo_root().join("ui/node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed with the UI's packages (npm ci in ui/)");
    // The library is the script's own text, so the page's content security policy, which
    // allows no eval, does not stand in its way.
    let script = format!(
        "{source}\n;const done = arguments[arguments.length - 1];\n\
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {WCAG_AA} }} }})\n\
           .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' — ' +\n\
             v.nodes.map(n => n.target.join(' ')).join(', '))))\n\
           .catch(e => done(['axe failed: ' + e]));"
    );
    match app.execute_async(&script, Vec::new()) {
        Value::Array(items) => items.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect(),
        other => panic!("axe-core answered {other}"),
    }
}

/// Fails the test with every violation on the page now, naming the screen.
pub fn assert_wcag_aa(app: &App, screen: &str) {
    let found = violations(app);
    assert!(found.is_empty(), "WCAG AA violations on {screen}:\n{}", found.join("\n"));
}

/// Whether the window shows the dark theme.
pub fn is_dark(app: &App) -> bool {
    app.execute("return window.matchMedia('(prefers-color-scheme: dark)').matches;", Vec::new())
        == Value::Bool(true)
}
