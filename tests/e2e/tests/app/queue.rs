//! A message written while the model is still answering waits in the composer, marked as
//! queued, and is sent by itself when the run ends.

use coder_e2e::model::answer;
use coder_e2e::{keys, ui, App, By, ScriptedModel};

const FIRST: &str = "What does this project do?";
/// Long enough, streamed slowly, that the second message is written while it streams.
const LONG: &str = "It keeps stock counts for a small shop: deliveries come in with add, sales go \
    out with sell, and report lists what is running low, all kept in one JSON file beside the \
    code so that a person can read it without the program.";
const SECOND: &str = "Which file holds the counts?";
const SHORT: &str = "stock.json, beside the code.";

#[test]
fn a_message_written_during_a_run_is_queued_and_sent_when_it_ends() {
    let model = ScriptedModel::openai_paced([answer(LONG), answer(SHORT)]);
    let app = App::with_model(&model);
    ui::new_thread(&app);
    ui::send(&app, FIRST);
    app.wait_until("the answer to start streaming", |s| {
        Ok(ui::messages(s)?.get(1).is_some_and(|m| m.streaming && !m.text.is_empty()))
    });
    app.type_into(&ui::composer(), &format!("{SECOND}{}", keys::ENTER));
    let queued = app.text_of(&By::css("form.composer .composer-queued"));
    assert!(queued.contains("Queued") && queued.contains(SECOND), "the composer says it waits: {queued}");
    assert_eq!(model.requests().len(), 1, "nothing more is asked while the run goes on");

    ui::wait_messages(&app, &[("You", FIRST), ("Coder", LONG), ("You", SECOND), ("Coder", SHORT)]);
    assert!(app.try_find(&By::css("form.composer .composer-queued")).is_none(), "the queue is empty");
    assert_eq!(model.requests().len(), 2, "the queued message started one run of its own");
}
