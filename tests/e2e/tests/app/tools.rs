//! Tool cards: a tool the model calls shows in the chat with its status and, on request, its
//! output.

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{ui, App, By, ScriptedModel};
use serde_json::json;

use crate::support::project_folder;

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
    // The card carries a one-line summary; unfolded, it shows the whole output, lines and all.
    app.wait_until("the card to show the file's whole text", |s| {
        let output = s.find(&ui::tool_output())?.text()?;
        Ok(output.contains("# inventory\n") && output.contains("Keeps stock counts for a small shop."))
    });

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
