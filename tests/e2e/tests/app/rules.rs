//! Permission rules in the window: a command waits; the person clicks "Always allow … in this
//! project" on the approval card, which approves it and adds the rule; the next command of the
//! same kind runs without asking, and the run panel says which rule let it. Rules are also
//! added and removed in Settings, with the keyboard.

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{a11y, keys, ui, App, By, ScriptedModel};
use serde_json::json;

use crate::support::project_folder;

const FIRST: &str = "echo counted 3 boxes";
const SECOND: &str = "echo counted 4 crates";

/// The model runs `FIRST`, then `SECOND`, then answers.
fn counter() -> ScriptedModel {
    ScriptedModel::openai([
        tool_call("Counting the boxes.", "run_command", json!({ "command": FIRST })),
        tool_call("Now the crates.", "run_command", json!({ "command": SECOND })),
        answer("3 boxes and 4 crates."),
    ])
}

const ALWAYS: &str = "Always allow echo counted … in this project";

/// The run panel's line saying what decided a step without the person.
fn step_policy() -> By {
    By::css("aside[aria-label='Details'] .step .step-policy")
}

#[test]
fn always_allow_on_the_approval_card_lets_the_next_command_run_without_asking() {
    let model = counter();
    let app = App::with_model(&model);
    let folder = project_folder(&app, "stock", &[("README.md", "# stock\n")]);
    ui::add_project(&app, &folder);
    ui::send(&app, "Count what is in stock.");

    app.find(&ui::tool_card("awaiting_approval"));
    app.click(&ui::button("Review and approve"));
    app.find(&ui::approval());
    let command = app.text_of(&By::css("section.approval pre.command[aria-label='Command']"));
    assert!(command.contains(FIRST), "the card shows the command that waits: {command}");
    a11y::assert_wcag_aa(&app, "the approval card offering a rule");
    app.screenshot("app-rules");
    app.click(&ui::button(ALWAYS));

    // The first command was approved by the click; the second matched the new rule.
    app.wait_until("both commands to run and the run to finish", |s| {
        Ok(s.find(&ui::run_status())?.attribute("data-run-status")?.as_deref() == Some("Success"))
    });
    assert_eq!(app.find_all(&ui::tool_cards()).len(), 2, "two commands ran");
    assert!(app.try_find(&ui::approval()).is_none(), "nothing waits any more");
    let said = app.wait_for("the rule named in the run panel", |s| {
        let lines: Vec<String> =
            s.find_all(&step_policy())?.iter().map(|l| l.text()).collect::<Result<_, _>>()?;
        Ok(lines.into_iter().find(|l| l.contains("ran without asking")))
    });
    assert_eq!(said, "ran without asking — rule echo counted (project)", "the step says which rule");
    let second = app.text_of(&By::xpath(format!(
        "//aside[@aria-label='Details']//li[contains(@class,'step')][contains(., {})]//p[contains(@class,'step-policy')]",
        ui::xpath_literal(SECOND)
    )));
    assert_eq!(second, said, "the rule is named on the second command's step");
    let first = By::xpath(format!(
        "//aside[@aria-label='Details']//li[contains(@class,'step')][contains(., {})]//p[contains(@class,'step-policy')]",
        ui::xpath_literal("echo counted 3")
    ));
    assert!(app.try_find(&first).is_none(), "the first command was approved by the person, not a rule");
    a11y::assert_wcag_aa(&app, "the run panel naming a rule");

    let sent = model.wait_for_requests(3, std::time::Duration::from_secs(5));
    assert!(sent[2].body.contains("counted 4 crates"), "the second command ran and its output went back");

    // The rule is the project's now, in its log.
    let projects = app.invoke("list_projects", json!({})).expect("projects");
    let project = projects[0]["id"].as_str().expect("a project id").to_owned();
    let rules = app.invoke("list_rules", json!({ "projectId": project })).expect("rules");
    assert_eq!(
        rules,
        json!([{ "scope": "project", "rule": { "effect": "allow", "tool": "run_command", "pattern": "echo counted" }, "always_allow": false }])
    );
    ui::open_tab(&app, "Timeline");
    app.wait_text("ran without asking: rule `echo counted` (project)");
    let row = app.find(&By::css("ol.events span.summary[title*='ran without asking']"));
    let title = row.attribute("title").unwrap().unwrap_or_default();
    assert!(
        title.starts_with("step: Run `echo counted 4 crates`")
            && title.ends_with("ran without asking: rule `echo counted` (project)"),
        "the whole line, rule included, is there however narrow the panel: {title}"
    );
}

/// The pattern field of the rules in Settings.
fn pattern_field() -> By {
    By::css("fieldset.rules input[placeholder]")
}

/// The select labelled `label` among the rules in Settings.
fn rules_select(label: &str) -> By {
    By::xpath(format!(
        "//fieldset[contains(@class,'rules')]//label[normalize-space(text())={}]/select",
        ui::xpath_literal(label)
    ))
}

/// Chooses `value` in the select matching `by`, as picking it from the list does.
fn choose(app: &App, by: &By, value: &str) {
    let select = app.find(by);
    app.execute(
        "const [el, value] = arguments;
         const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
         setter.call(el, value);
         el.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![select.to_arg(), value.into()],
    );
}

#[test]
fn rules_are_added_and_removed_in_settings_with_the_keyboard() {
    for dark in [false, true] {
        let (name, value) = a11y::DARK_THEME;
        let app = if dark { App::builder().env(name, value).start() } else { App::start() };
        let theme = if dark { "dark" } else { "light" };
        app.click(&ui::settings_button());
        app.wait_text("No rules for every project yet.");
        choose(&app, &rules_select("Effect"), "deny");
        app.type_into(&pattern_field(), &format!("rm -rf *{}", keys::ENTER));
        let list = By::css("fieldset.rules ul[aria-label='Rules of every project']");
        let shown = app.text_of(&list);
        assert!(shown.contains("deny") && shown.contains("rm -rf *"), "the rule is listed: {shown}");
        assert!(app.try_find(&By::css("dialog[open]")).is_some(), "Enter added the rule, not saved the form");
        a11y::assert_wcag_aa(&app, &format!("the settings with a rule ({theme})"));
        let settings = std::fs::read_to_string(app.data_dir().join("settings.json")).unwrap_or_default();
        assert!(settings.contains("rm -rf *"), "a global rule is saved at once: {settings}");

        let refused = app.invoke(
            "add_rule",
            json!({ "projectId": null, "rule": { "effect": "allow", "tool": "write_file", "pattern": "src/[" } }),
        );
        assert_eq!(refused.unwrap_err()["code"], "rule_pattern_invalid", "a bad glob has its own code");

        app.click(&ui::button("Remove rule deny run_command rm -rf *"));
        app.wait_text("No rules for every project yet.");
    }
}
