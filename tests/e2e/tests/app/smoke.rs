//! The basics: the window opens, a message gets a streamed answer, and it all survives a restart.

use coder_e2e::model::{answer, user_texts};
use coder_e2e::{ui, App, ScriptedModel};

const QUESTION: &str = "What does this project do?";
const REPLY: &str = "It keeps a log of events and shows it as chat threads.";

#[test]
fn the_window_opens_with_the_sidebar() {
    let app = App::start();
    let sidebar = app.find(&ui::sidebar());
    assert!(sidebar.is_displayed().unwrap(), "the sidebar is what a person sees first");
    app.find(&ui::new_thread_button());
    app.find(&ui::welcome());
    assert!(
        app.text_of(&ui::provider_label()).contains("Demo"),
        "without settings the app runs the offline demo, and says so"
    );
}

#[test]
fn a_message_gets_a_streamed_answer() {
    let model = ScriptedModel::openai_paced([answer(REPLY)]);
    let app = App::with_model(&model);
    ui::new_thread(&app);
    ui::send(&app, QUESTION);

    // Watch the answer arrive: it shows while streaming, growing, and then completes.
    let mut partial = Vec::new();
    let done = app.wait_for("the answer to complete", |s| {
        let shown = ui::messages(s)?;
        if let Some(reply) = shown.get(1).filter(|m| m.streaming) {
            partial.push(reply.text.clone());
        }
        Ok(shown.iter().all(|m| !m.streaming).then_some(shown).filter(|m| m.len() == 2))
    });
    assert_eq!(done[0].text, QUESTION, "the person's message shows as sent");
    assert_eq!(done[1].text, REPLY, "the whole scripted answer shows once it completes");
    assert!(
        partial
            .iter()
            .any(|text| !text.is_empty() && text.len() < REPLY.len() && REPLY.starts_with(text.as_str())),
        "the answer was seen streaming in before it completed: {partial:?}"
    );

    let messages = model.messages(0);
    assert_eq!(
        user_texts(&messages).last().map(String::as_str),
        Some(QUESTION),
        "the model was sent the person's text: {messages:?}"
    );
}

#[test]
fn a_thread_survives_a_restart() {
    let model = ScriptedModel::openai([answer(REPLY)]);
    let mut app = App::with_model(&model);
    ui::new_thread(&app);
    ui::send(&app, QUESTION);
    ui::wait_messages(&app, &[("You", QUESTION), ("Coder", REPLY)]);

    app.restart();
    // The thread that was open when the app closed opens again by itself, titled by its first
    // message.
    ui::wait_messages(&app, &[("You", QUESTION), ("Coder", REPLY)]);
    app.find(&ui::thread_row(QUESTION));
    assert!(app.try_find(&ui::thread_row("New thread")).is_none(), "the first message titled the thread");
}
