//! "Summarize up to here": the model summarizes the thread's older part, the chat shows the
//! divider "Earlier messages summarized" that unfolds to the summary, and the next model call
//! sends the summary in place of the summarized messages.

use coder_e2e::model::{answer, user_texts};
use coder_e2e::webdriver::{keys, By};
use coder_e2e::{a11y, ui, App, ScriptedModel};

const FIRST: &str = "Where does the parser keep its offsets?";
const FIRST_REPLY: &str = "In src/parser.rs, as byte offsets into the source.";
const SECOND: &str = "Should spans be half-open?";
const SECOND_REPLY: &str = "Yes: start inclusive, end exclusive, as the lexer has them.";
const SUMMARY: &str = "The person asked where the parser keeps offsets: byte offsets in src/parser.rs.";
const THIRD: &str = "Then write the span type.";
const THIRD_REPLY: &str = "I will add it next to the parser.";

/// The "Summarize up to here" button of the message whose text is `text`.
fn summarize_button(text: &str) -> By {
    By::xpath(format!(
        "//article[contains(@class,'message')][.//div[contains(@class,'message-body')][contains(normalize-space(.), {})]]\
         //button[normalize-space(.)='Summarize up to here']",
        ui::xpath_literal(text)
    ))
}

fn divider() -> By {
    By::xpath("//details[contains(@class,'compaction')]")
}

fn divider_summary() -> By {
    By::xpath("//details[contains(@class,'compaction')]/summary")
}

/// Two exchanges, then a summary of the first made from the keyboard.
fn summarized_chat(app: &App, model: &ScriptedModel) {
    ui::new_thread(app);
    ui::send(app, FIRST);
    ui::wait_messages(app, &[("You", FIRST), ("Coder", FIRST_REPLY)]);
    ui::send(app, SECOND);
    ui::wait_messages(
        app,
        &[("You", FIRST), ("Coder", FIRST_REPLY), ("You", SECOND), ("Coder", SECOND_REPLY)],
    );
    // Reached and pressed with the keyboard: focus the button, then Enter.
    app.wait_for("the summarize button to take a key", |s| {
        s.find(&summarize_button(FIRST_REPLY))?.send_keys(&keys::ENTER.to_string()).map(Some)
    });
    app.find(&divider());
    app.wait_gone(&By::xpath("//*[@role='status'][normalize-space(.)='Summarizing…']"));
    let request = model.messages(2);
    let system = request[0]["content"].as_str().unwrap_or_default();
    assert!(system.contains("running summary"), "the summary has its own instructions: {system}");
    let asked = user_texts(&request).join("\n");
    assert!(
        asked.contains(&format!("Person: {FIRST}")) && asked.contains(&format!("Coder: {FIRST_REPLY}")),
        "the model is given the messages to summarize: {asked}"
    );
    assert!(!asked.contains(SECOND), "only the messages up to the chosen one: {asked}");
}

#[test]
fn summarizing_by_hand_shows_a_divider_that_unfolds_to_the_summary() {
    let model = ScriptedModel::openai([
        answer(FIRST_REPLY),
        answer(SECOND_REPLY),
        answer(SUMMARY),
        answer(THIRD_REPLY),
    ]);
    let app = App::with_model(&model);
    summarized_chat(&app, &model);

    let folded = app.text_of(&divider());
    assert!(folded.contains("Earlier messages summarized"), "{folded}");
    assert!(!app.visible_text().contains(SUMMARY), "the summary stays folded until asked for");
    app.click(&divider_summary());
    app.wait_until("the divider to unfold", |s| Ok(s.find(&divider())?.attribute("open")?.is_some()));
    let unfolded = app.text_of(&divider());
    assert!(unfolded.contains(SUMMARY) && unfolded.contains("Summarized by hand."), "{unfolded}");
    // The messages themselves stay in the chat.
    ui::wait_messages(
        &app,
        &[("You", FIRST), ("Coder", FIRST_REPLY), ("You", SECOND), ("Coder", SECOND_REPLY)],
    );
    app.screenshot("app-compaction");

    ui::send(&app, THIRD);
    ui::wait_messages(
        &app,
        &[
            ("You", FIRST),
            ("Coder", FIRST_REPLY),
            ("You", SECOND),
            ("Coder", SECOND_REPLY),
            ("You", THIRD),
            ("Coder", THIRD_REPLY),
        ],
    );
    let sent = user_texts(&model.messages(3));
    assert_eq!(
        sent,
        [format!("Summary of the earlier conversation:\n\n{SUMMARY}"), SECOND.to_string(), THIRD.to_string()],
        "the next call sends the summary in place of the first exchange"
    );
}

/// The chat with an unfolded summary passes axe-core's WCAG 2 A and AA rules in both themes.
#[test]
fn the_summary_divider_passes_wcag_aa_in_both_themes() {
    for dark in [false, true] {
        let model = ScriptedModel::openai([answer(FIRST_REPLY), answer(SECOND_REPLY), answer(SUMMARY)]);
        let (name, value) = a11y::DARK_THEME;
        let builder = App::builder().model(&model);
        let app = if dark { builder.env(name, value).start() } else { builder.start() };
        let theme = if dark { "dark" } else { "light" };
        summarized_chat(&app, &model);
        a11y::assert_wcag_aa(&app, &format!("the chat with a folded summary ({theme})"));
        app.click(&divider_summary());
        app.wait_until("the divider to unfold", |s| Ok(s.find(&divider())?.attribute("open")?.is_some()));
        a11y::assert_wcag_aa(&app, &format!("the chat with an unfolded summary ({theme})"));
    }
}
