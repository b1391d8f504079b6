//! Writes wait for the person: the pending change shows as a diff, approving writes the file,
//! the Files tab shows what changed and reverts it, refusing when the file changed since. A
//! write still waiting when the app goes down can be approved after it restarts.

use std::path::PathBuf;

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{ui, App, ScriptedModel};
use serde_json::json;

use crate::support::{project_folder, read, wait_file};

const ORIGINAL: &str = "# inventory\n\nKeeps stock counts for a small shop.\n";

const CHANGED: &str = "# inventory\n\nKeeps stock counts for a small shop.\n\n\
    ## Usage\n\nRun `inventory report` to list what is running low.\n";

const ASK: &str = "Add a usage section to the README.";

const SAY: &str = "I'll add a Usage section to the README.";

const DONE: &str = "Added a Usage section to the README.";

/// The model writes `CHANGED` into README.md, then says `DONE`.
fn writer() -> ScriptedModel {
    ScriptedModel::openai([
        tool_call(SAY, "write_file", json!({ "path": "README.md", "content": CHANGED })),
        answer(DONE),
    ])
}

/// A project "inventory" holding README.md as `ORIGINAL`, with a thread open in it in which the
/// person asked for the write; returns README.md's path once the write waits for approval.
fn write_waiting(app: &App) -> PathBuf {
    let folder = project_folder(app, "inventory", &[("README.md", ORIGINAL)]);
    ui::add_project(app, &folder);
    ui::send(app, ASK);
    let card = app.find(&ui::tool_card("awaiting_approval"));
    let label = card.attribute("aria-label").unwrap().unwrap_or_default();
    assert!(label.starts_with("Write file: "), "the card names the tool in words: {label}");
    folder.join("README.md")
}

/// Approves the waiting write from the Run tab and waits for the run to finish.
fn approve(app: &App, readme: &std::path::Path) {
    app.click(&ui::button("Review and approve"));
    app.find(&ui::approval());
    app.click(&ui::approve());
    wait_file(app, readme, CHANGED, "the approved write reaches the disk");
    app.find(&ui::tool_card("success"));
    ui::wait_messages(app, &[("You", ASK), ("Coder", SAY), ("Coder", DONE)]);
}

/// Opens the Files tab on the change of README.md and returns the added lines its diff shows.
fn show_change(app: &App) -> Vec<String> {
    ui::open_tab(app, "Files");
    app.click(&ui::file_change("README.md"));
    app.find(&ui::file_diff("README.md"));
    app.wait_for("the diff's added lines", |s| {
        let lines: Vec<String> =
            s.find_all(&ui::diff_added_lines())?.iter().map(|l| l.text()).collect::<Result<_, _>>()?;
        Ok((!lines.is_empty()).then_some(lines))
    })
}

#[test]
fn a_write_waits_for_approval_and_can_be_reverted() {
    let model = writer().on_port_80();
    let app = App::with_model(&model);
    let readme = write_waiting(&app);
    assert_eq!(read(&readme), ORIGINAL, "nothing is written before the person approves");

    // "Review and approve" opens the Run tab on the run, showing the change as a diff.
    app.click(&ui::button("Review and approve"));
    let status = app.find(&ui::run_status());
    assert_eq!(
        status.attribute("data-run-status").unwrap().as_deref(),
        Some("WaitingForApproval"),
        "the run waits for the person"
    );
    let diff = app.text_of(&ui::pending_diff("README.md"));
    assert!(diff.contains("+## Usage"), "the approval shows the lines the write adds: {diff}");
    app.screenshot("app-approval");

    app.click(&ui::approve());
    wait_file(&app, &readme, CHANGED, "the approved write reaches the disk");
    app.find(&ui::tool_card("success"));
    ui::wait_messages(&app, &[("You", ASK), ("Coder", SAY), ("Coder", DONE)]);
    app.wait_gone(&ui::approval());

    let added = show_change(&app);
    assert!(
        added.iter().any(|l| l == "+## Usage"),
        "the Files tab's diff shows the added heading: {added:?}"
    );
    app.screenshot("app-files");

    app.click(&ui::button("Revert file"));
    let note = app.text_of(&ui::files_note());
    assert!(note.contains("README.md"), "the revert says which file it put back: {note}");
    wait_file(&app, &readme, ORIGINAL, "reverting puts the file back as it was before the write");
}

#[test]
fn a_revert_is_refused_when_the_file_changed_since() {
    let model = writer();
    let app = App::with_model(&model);
    let readme = write_waiting(&app);
    approve(&app, &readme);

    // Someone edits the file after Coder's write: a revert would lose their edit.
    let edited = format!("{CHANGED}\nEdited by hand.\n");
    std::fs::write(&readme, &edited).unwrap();

    show_change(&app);
    app.click(&ui::button("Revert file"));
    let refusal = app.text_of(&ui::revert_refusal());
    assert!(!refusal.is_empty(), "the refusal says why");
    assert_eq!(read(&readme), edited, "a refused revert leaves the file as the person left it");

    app.click(&ui::button("Revert anyway"));
    app.find(&ui::files_note());
    wait_file(&app, &readme, ORIGINAL, "Revert anyway puts back the content from before the write");
    app.wait_gone(&ui::revert_refusal());
}

#[test]
fn an_approval_waiting_at_a_restart_can_still_be_given() {
    let model = writer();
    let mut app = App::with_model(&model);
    let readme = write_waiting(&app);

    app.restart();
    // The thread open at closing opens again by itself.
    ui::wait_messages(&app, &[("You", ASK), ("Coder", SAY)]);
    app.find(&ui::tool_card("awaiting_approval"));
    assert_eq!(read(&readme), ORIGINAL, "a restart approves nothing by itself");

    approve(&app, &readme);
    let sent = model.requests();
    assert_eq!(sent.len(), 2, "after the approval the run went on to ask the model again");
}

/// Every screen of the approval flow — the chat with its tool card, the run panel with the
/// change waiting, the Files tab with its diff, the timeline — passes axe-core's WCAG 2 A and AA
/// rules, in the light theme and in the dark one.
#[test]
fn the_approval_flow_passes_wcag_aa_in_both_themes() {
    for dark in [false, true] {
        let model = writer();
        let (name, value) = coder_e2e::a11y::DARK_THEME;
        let builder = App::builder().model(&model);
        let app = if dark { builder.env(name, value).start() } else { builder.start() };
        let theme = if dark { "dark" } else { "light" };
        assert_eq!(coder_e2e::a11y::is_dark(&app), dark, "the window shows the {theme} theme");
        let readme = write_waiting(&app);
        coder_e2e::a11y::assert_wcag_aa(&app, &format!("the chat with a waiting tool card ({theme})"));
        app.click(&ui::button("Review and approve"));
        app.find(&ui::approval());
        coder_e2e::a11y::assert_wcag_aa(&app, &format!("the run panel with a waiting change ({theme})"));
        app.click(&ui::approve());
        wait_file(&app, &readme, CHANGED, "the approved write reaches the disk");
        ui::wait_messages(&app, &[("You", ASK), ("Coder", SAY), ("Coder", DONE)]);
        show_change(&app);
        coder_e2e::a11y::assert_wcag_aa(&app, &format!("the Files tab with a diff ({theme})"));
        ui::open_tab(&app, "Timeline");
        coder_e2e::a11y::assert_wcag_aa(&app, &format!("the timeline ({theme})"));
    }
}
