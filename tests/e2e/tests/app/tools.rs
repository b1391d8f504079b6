//! Tool cards: a tool the model calls shows in the chat with its status and, on request, its
//! output the way the tool means it — a read as numbered code, a command as a terminal with
//! stderr apart and its exit code as a badge, a write as its diff.

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{a11y, ui, App, By, ScriptedModel};
use serde_json::json;

use crate::support::{project_folder, wait_file};

const README: &str =
    "# inventory\n\nKeeps stock counts for a small shop. Run `inventory report` to see what is low.\n";

const QUESTION: &str = "What does this project do?";

const LOOK: &str = "Let me read the README first.";

const SUMMARY: &str = "**inventory** keeps stock counts for a small shop:\n\n\
    - `inventory add` records a delivery\n\
    - `inventory sell` takes items off the shelf\n\
    - `inventory report` lists what is running low\n\n\
    Everything is stored in `stock.json` beside the code.";

#[test]
fn a_tool_card_shows_its_output() {
    let model = ScriptedModel::openai_paced([
        tool_call(LOOK, "read_file", json!({ "path": "README.md" })),
        answer(SUMMARY),
    ])
    .on_port_80();
    let app = App::with_model(&model);
    let folder = project_folder(&app, "inventory", &[("README.md", README)]);
    ui::add_project(&app, &folder);
    ui::send(&app, QUESTION);

    let card = app.find(&ui::tool_card("success"));
    assert_eq!(
        card.attribute("aria-label").unwrap().as_deref(),
        Some("Read file: README.md"),
        "the card names the tool and its input in words"
    );
    assert!(
        app.try_find(&ui::tool_output()).is_none(),
        "the output stays folded until asked for, so the chat stays readable"
    );
    app.click(&ui::button("Show output"));
    // The card carries a one-line summary; unfolded, it shows the whole file as code, each
    // line numbered.
    app.wait_until("the card to show the file's whole text", |s| {
        let output = s.find(&ui::tool_output())?.text()?;
        Ok(output.contains("# inventory\n") && output.contains("Keeps stock counts for a small shop."))
    });
    let numbers: Vec<String> = app
        .find_all(&By::css("section[aria-label='Chat'] pre.code-view .line-no"))
        .iter()
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(numbers, ["1", "2", "3"], "every line of the README has its number");
    a11y::assert_wcag_aa(&app, "the chat with an opened read card");

    // The model's answer after the tool streams in and completes, rendered as Markdown.
    app.wait_until("the answer after the tool to complete", |s| {
        let shown = ui::messages(s)?;
        Ok(shown.len() == 3 && shown.iter().all(|m| !m.streaming))
    });
    let shown = ui::messages(app.session()).unwrap();
    assert_eq!(shown[1].text, LOOK, "the text before the tool call is its own message");
    assert!(shown[2].text.contains("inventory report lists what is running low"), "the answer: {shown:?}");
    app.find(&By::xpath(
        "//section[@aria-label='Chat']//article[@data-role='assistant']//li/code[.='inventory add']",
    ));

    let sent = model.wait_for_requests(2, std::time::Duration::from_secs(5));
    assert!(
        sent[1].body.contains("Keeps stock counts for a small shop."),
        "the file's text went back to the model as the tool's result"
    );
    ui::open_tab(&app, "Run");
    app.wait_until("the run to finish", |s| {
        Ok(s.find(&ui::run_status())?.attribute("data-run-status")?.as_deref() == Some("Success"))
    });
    app.screenshot("app-chat");
}

/// A command that prints two lines to stdout and one to stderr, then exits with 3. Written
/// without a `\n` of its own, so any `\n` the card shows would be an escaped line break.
const FAILING: &str =
    "echo 'checking stock'; echo 'all counts read'; echo 'error: stock.json is missing' >&2; exit 3";

/// The terminal of the opened command card.
fn terminal() -> By {
    By::css("section[aria-label='Chat'] article.tool-card pre.terminal[aria-label='Command output']")
}

/// The card's badge saying how the command ended.
fn outcome_badge() -> By {
    By::css("section[aria-label='Chat'] article.tool-card .badge.outcome")
}

/// The model runs `FAILING`; the person approves it. Returns once the tool use succeeded (a
/// non-zero exit is a result, not a failure of the tool).
fn run_failing_command(app: &App) {
    let folder = project_folder(app, "inventory", &[("README.md", README)]);
    ui::add_project(app, &folder);
    ui::send(app, "Check the stock files.");
    app.find(&ui::tool_card("awaiting_approval"));
    app.click(&ui::button("Review and approve"));
    app.find(&ui::approval());
    app.click(&ui::approve());
    app.find(&ui::tool_card("success"));
}

/// A model that runs `FAILING`, then answers.
fn command_model() -> ScriptedModel {
    ScriptedModel::openai([
        tool_call("Let me check the stock files.", "run_command", json!({ "command": FAILING })),
        answer("The stock file is missing."),
    ])
}

#[test]
fn a_command_card_shows_a_terminal_with_stderr_apart_and_its_exit_code() {
    let model = command_model();
    let app = App::with_model(&model);
    run_failing_command(&app);

    // How the command ended shows on the folded card.
    app.wait_until("the exit badge", |s| Ok(s.find(&outcome_badge())?.text()? == "exit 3"));

    app.click(&ui::button("Show output"));
    let shown = app.wait_for("the terminal's text", |s| {
        let text = s.find(&terminal())?.text()?;
        Ok(text.contains("all counts read").then_some(text))
    });
    assert!(
        shown.contains("checking stock\nall counts read"),
        "stdout shows with its real line breaks: {shown:?}"
    );
    let raw: String = app
        .execute("return arguments[0].textContent;", vec![app.find(&terminal()).to_arg()])
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!raw.contains("\\n"), "no escaped line break anywhere in the terminal: {raw:?}");
    assert!(!raw.contains("exit_code"), "the result's JSON is not shown raw: {raw:?}");

    let stderr = app.text_of(&By::css(
        "section[aria-label='Chat'] pre.terminal [role='group'][aria-label='Standard error']",
    ));
    assert!(
        stderr.contains("error: stock.json is missing"),
        "stderr has a labelled place of its own: {stderr:?}"
    );
    assert!(!stderr.contains("checking stock"), "stdout is not inside stderr's place: {stderr:?}");
    app.wait_until("the run to finish", |s| {
        Ok(s.find(&ui::run_status())?.attribute("data-run-status")?.as_deref() == Some("Success"))
    });
    // Let the window paint the finished run before it is pictured.
    app.execute_async("requestAnimationFrame(() => requestAnimationFrame(arguments[0]));", Vec::new());
    app.screenshot("app-command-card");
}

/// The opened command card — terminal, stderr, badge — passes axe-core's WCAG 2 A and AA rules
/// in the light theme and in the dark one.
#[test]
fn an_opened_command_card_passes_wcag_aa_in_both_themes() {
    for dark in [false, true] {
        let model = command_model();
        let (name, value) = a11y::DARK_THEME;
        let builder = App::builder().model(&model);
        let app = if dark { builder.env(name, value).start() } else { builder.start() };
        let theme = if dark { "dark" } else { "light" };
        assert_eq!(a11y::is_dark(&app), dark, "the window shows the {theme} theme");
        run_failing_command(&app);
        app.click(&ui::button("Show output"));
        app.find(&By::css("section[aria-label='Chat'] pre.terminal [aria-label='Standard error']"));
        app.find(&outcome_badge());
        a11y::assert_wcag_aa(&app, &format!("the chat with an opened command card ({theme})"));
    }
}

const ORIGINAL: &str = "# inventory\n\nKeeps stock counts for a small shop.\n";

const CHANGED: &str =
    "# inventory\n\nKeeps stock counts for a small shop.\n\n## Usage\n\nRun `inventory report`.\n";

#[test]
fn a_write_card_shows_its_diff() {
    let model = ScriptedModel::openai([
        tool_call(
            "I'll add a usage section.",
            "write_file",
            json!({ "path": "README.md", "content": CHANGED }),
        ),
        answer("Added a usage section."),
    ]);
    let app = App::with_model(&model);
    let folder = project_folder(&app, "inventory", &[("README.md", ORIGINAL)]);
    ui::add_project(&app, &folder);
    ui::send(&app, "Add a usage section to the README.");
    app.find(&ui::tool_card("awaiting_approval"));
    app.click(&ui::button("Review and approve"));
    app.find(&ui::approval());
    app.click(&ui::approve());
    wait_file(&app, &folder.join("README.md"), CHANGED, "the approved write reaches the disk");
    app.find(&ui::tool_card("success"));

    app.click(&ui::button("Show output"));
    let diff =
        By::css("section[aria-label='Chat'] article.tool-card pre.diff[aria-label='Changes to README.md']");
    app.find(&diff);
    let added: Vec<String> = app
        .find_all(&By::css("section[aria-label='Chat'] article.tool-card pre.diff .diff-add"))
        .iter()
        .map(|l| l.text().unwrap())
        .collect();
    assert!(added.iter().any(|l| l == "+## Usage"), "the card's diff shows the added heading: {added:?}");
    let removed = app.find_all(&By::css("section[aria-label='Chat'] article.tool-card pre.diff .diff-del"));
    assert!(removed.is_empty(), "the write only added lines");
    a11y::assert_wcag_aa(&app, "the chat with an opened write card");
}
