//! A run stopped at its turn limit says so in the run panel, and "Continue" goes on from there
//! in a new run of the same thread.

use coder_agent::Settings;
use coder_e2e::model::{answer, tool_call};
use coder_e2e::{ui, App, ScriptedModel};
use serde_json::json;

use crate::support::project_folder;

const QUESTION: &str = "What does this project do?";
const LOOK: &str = "Let me read the README first.";
const ANSWER: &str = "It keeps stock counts for a small shop.";

#[test]
fn a_run_stopped_at_its_turn_limit_is_continued_with_one_click() {
    let model =
        ScriptedModel::openai([tool_call(LOOK, "read_file", json!({ "path": "README.md" })), answer(ANSWER)]);
    let one_turn = Settings { max_turns: 1, ..model.settings() };
    let app = App::builder().model(&model).settings(one_turn).start();
    let folder = project_folder(&app, "inventory", &[("README.md", "# inventory\n\nStock counts.\n")]);
    ui::add_project(&app, &folder);
    ui::send(&app, QUESTION);

    app.wait_until("the run to stop at its turn limit", |s| {
        Ok(s.find_all(&ui::run_end())?
            .first()
            .map(|e| e.text())
            .transpose()?
            .is_some_and(|t| t.contains("the model made 1 call without finishing")))
    });
    assert_eq!(model.requests().len(), 1, "the limit stopped the run before a second model call");
    app.click(&ui::button("Continue"));
    ui::wait_messages(&app, &[("You", QUESTION), ("Coder", LOOK), ("Coder", ANSWER)]);
    assert_eq!(model.requests().len(), 2, "the continued run asked the model once more");
    app.wait_until("the new run to be shown, finished", |s| {
        Ok(s.find(&ui::run_status())?.text()? == "Finished")
    });
    assert!(app.try_find(&ui::button("Continue")).is_none(), "a finished run offers no Continue");
}
