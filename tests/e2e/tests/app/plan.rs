//! The plan is the run's progress: the model keeps a todo list with `update_plan`, and the Run
//! tab shows its items with their statuses in words, a count of those done, and the run's steps
//! under the item that was in progress — live, as the run goes.

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{ui, App, ScriptedModel};
use serde_json::{json, Value};

use crate::support::project_folder;

const README: &str = "# inventory\n\nKeeps stock counts for a small shop.\n";

const ASK: &str = "Read the README and tell me what this project does.";

const READ: &str = "Read the README";

const SUMMARIZE: &str = "Summarize it";

/// Long enough, streamed at the paced speed, that the window shows the first plan for a while.
const READING: &str = "Now I will read the README of the project, which should say what the \
    project is for and how it is used, before I summarize it for you.";

const DONE: &str = "It keeps stock counts for a small shop.";

/// The model plans two items, reads the README under the first, marks it done and the second
/// in progress, then answers; `paced` streams slowly enough to watch the run go.
fn planner(paced: bool) -> ScriptedModel {
    let plan = |read: &str, summarize: &str| json!({"items": [{"title": READ, "status": read}, {"title": SUMMARIZE, "status": summarize}]});
    let turns = [
        tool_call("Let me plan this.", "update_plan", plan("in_progress", "pending")),
        tool_call(READING, "read_file", json!({ "path": "README.md" })),
        tool_call("Read it.", "update_plan", plan("done", "in_progress")),
        answer(DONE),
    ];
    if paced {
        ScriptedModel::openai_paced(turns)
    } else {
        ScriptedModel::openai(turns)
    }
}

/// One plan item as the Run tab shows it.
#[derive(Debug, PartialEq)]
struct ShownItem {
    title: String,
    /// The status in words.
    status: String,
    /// The titles of the steps nested under the item.
    steps: Vec<String>,
}

/// The plan items in the Run tab, the progress line, and the steps shown before the plan.
fn shown_plan(s: &coder_e2e::Session) -> coder_e2e::webdriver::Result<(Vec<ShownItem>, String, Vec<String>)> {
    let shown = s.execute(
        "const text = (el) => (el ? el.textContent.trim() : '');
         const titles = (list) => list ? [...list.querySelectorAll('.step-title')].map(text) : [];
         const items = [...document.querySelectorAll(\"ol[aria-label='Plan items'] > li\")].map((li) => ({
           title: text(li.querySelector('.plan-title')),
           status: text(li.querySelector('.plan-status')),
           steps: titles(li.querySelector('ol.steps')),
         }));
         return {
           items,
           progress: text(document.querySelector('section.plan .plan-progress')),
           before: titles(document.querySelector(\"ol[aria-label='Steps before the plan']\")),
         };",
        Vec::new(),
    )?;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().map(|s| s.as_str().unwrap_or_default().to_string()).collect()
    };
    let items = shown["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| ShownItem {
            title: item["title"].as_str().unwrap_or_default().to_string(),
            status: item["status"].as_str().unwrap_or_default().to_string(),
            steps: strings(&item["steps"]),
        })
        .collect();
    Ok((items, shown["progress"].as_str().unwrap_or_default().to_string(), strings(&shown["before"])))
}

/// Waits until the Run tab's plan shows these statuses and progress line; returns the items.
fn wait_plan(app: &App, statuses: [&str; 2], progress: &str) -> (Vec<ShownItem>, Vec<String>) {
    app.wait_for_state(&format!("the plan to show {statuses:?}, {progress}"), |s| {
        let (items, shown_progress, before) = shown_plan(s)?;
        let now: Vec<&str> = items.iter().map(|i| i.status.as_str()).collect();
        Ok(if now == statuses && shown_progress == progress {
            Ok((items, before))
        } else {
            Err(format!("{items:?} {shown_progress:?}"))
        })
    })
}

/// Adds the project, asks, and opens the Run tab while the run goes on.
fn ask(app: &App) {
    let folder = project_folder(app, "inventory", &[("README.md", README)]);
    ui::add_project(app, &folder);
    ui::send(app, ASK);
    ui::open_tab(app, "Run");
}

#[test]
fn the_run_panel_shows_the_plan_live_with_each_step_under_its_item() {
    let model = planner(true);
    let app = App::with_model(&model);
    ask(&app);

    // While the model still streams its second turn, the first plan is already shown.
    let (items, before) = wait_plan(&app, ["in progress", "pending"], "0 of 2 done");
    assert_eq!(
        items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        [READ, SUMMARIZE],
        "the items in the model's order"
    );
    assert_eq!(before.len(), 2, "the first model call and the plan's own step come first: {before:?}");
    assert_eq!(before[1], "Update the plan", "{before:?}");
    let running = app.find(&ui::run_status()).attribute("data-run-status").unwrap();
    assert_ne!(running.as_deref(), Some("Success"), "the plan showed while the run was going on");

    // The second update marks reading done: the read step stays under the item it belonged to.
    app.wait_until("the run to finish", |s| {
        Ok(s.find(&ui::run_status())?.attribute("data-run-status")?.as_deref() == Some("Success"))
    });
    let (items, before) = wait_plan(&app, ["done", "in progress"], "1 of 2 done");
    assert_eq!(before.len(), 2, "the steps before the plan stay first: {before:?}");
    let read = &items[0];
    assert!(
        read.steps.iter().any(|s| s == "Read README.md"),
        "the read step sits under {READ}, in progress when it started: {items:?}"
    );
    assert_eq!(read.steps.len(), 4, "model call, read, model call, plan update: {items:?}");
    assert_eq!(items[1].steps.len(), 1, "the answer's model call sits under {SUMMARIZE}: {items:?}");
    assert!(items[1].steps[0].starts_with("Model call"), "{items:?}");
    let current = app.find(&coder_e2e::By::css("ol[aria-label='Plan items'] > li[aria-current='step']"));
    assert!(current.text().unwrap().contains(SUMMARIZE), "the item in progress is marked as current");
    app.screenshot("app-run-plan");
}

/// The Run tab with a plan passes axe-core's WCAG 2 A and AA rules in the light theme and in
/// the dark one.
#[test]
fn the_run_panel_with_a_plan_passes_wcag_aa_in_both_themes() {
    for dark in [false, true] {
        let model = planner(false);
        let (name, value) = coder_e2e::a11y::DARK_THEME;
        let builder = App::builder().model(&model);
        let app = if dark { builder.env(name, value).start() } else { builder.start() };
        let theme = if dark { "dark" } else { "light" };
        assert_eq!(coder_e2e::a11y::is_dark(&app), dark, "the window shows the {theme} theme");
        ask(&app);
        wait_plan(&app, ["done", "in progress"], "1 of 2 done");
        coder_e2e::a11y::assert_wcag_aa(&app, &format!("the run panel with a plan ({theme})"));
    }
}
