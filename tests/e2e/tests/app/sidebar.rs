//! The sidebar: rename a thread in place, archive and unarchive it, search by title, and the
//! unread count of a thread that got an answer while another one was open.

use coder_e2e::model::{answer, tool_call};
use coder_e2e::{keys, ui, App, ScriptedModel};
use serde_json::json;

use crate::support::project_folder;

const TITLE: &str = "Stock questions";

/// Long enough (streamed slowly) that another thread can be opened before the run goes on to
/// its second model call, whose message then arrives unseen.
const LOOK: &str = "Let me read the README before I answer, so that what I tell you about the \
    project is what its own documentation says and not a guess from the folder's name or \
    from what projects like it usually do.";

const ANSWER: &str = "It keeps stock counts for a small shop.";

#[test]
fn threads_are_renamed_archived_searched_and_counted_unread() {
    let model = ScriptedModel::openai_paced([
        tool_call(LOOK, "read_file", json!({ "path": "README.md" })),
        answer(ANSWER),
    ]);
    let app = App::with_model(&model);
    let folder = project_folder(&app, "inventory", &[("README.md", "# inventory\n\nStock counts.\n")]);
    ui::add_project(&app, &folder);

    // Rename: Escape cancels, Enter saves.
    app.click(&ui::button("Rename New thread"));
    app.type_into(&ui::title_editor(), &format!("Abandoned title{}", keys::ESCAPE));
    app.wait_gone(&ui::title_editor());
    app.find(&ui::thread_row("New thread"));
    app.click(&ui::button("Rename New thread"));
    ui::replace_text(&app, &ui::title_editor(), &format!("{TITLE}{}", keys::ENTER));
    app.find(&ui::thread_row(TITLE));
    assert!(app.try_find(&ui::thread_row("New thread")).is_none(), "the rename replaced the title");

    // Ask in this thread, and open another one while the answer is on its way.
    ui::send(&app, "What does this project do?");
    app.wait_until("the first reply to start streaming", |s| {
        Ok(ui::messages(s)?.get(1).is_some_and(|m| m.streaming && !m.text.is_empty()))
    });
    app.click(&ui::new_thread_button());
    app.wait_until("the other thread to open", |s| {
        Ok(ui::thread_titles(s)?.iter().filter(|t| *t == "New thread").count() == 1
            && ui::messages(s)?.is_empty())
    });
    let badge = app.find(&ui::unread_badge(TITLE));
    let unread = badge.attribute("aria-label").unwrap().unwrap_or_default();
    assert!(
        unread.ends_with(" unread"),
        "the thread that got an answer meanwhile counts it unread: {unread}"
    );
    assert!(app.try_find(&ui::unread_badge("New thread")).is_none(), "the open thread has nothing unread");
    ui::open_thread(&app, TITLE);
    app.wait_gone(&ui::unread_badge(TITLE));
    app.wait_until("the answer after the tool", |s| {
        Ok(ui::messages(s)?.last().is_some_and(|m| !m.streaming && m.text == ANSWER))
    });

    // Search filters by title.
    app.type_into(&ui::search(), "stock q");
    app.wait_until("only the matching thread", |s| Ok(ui::thread_titles(s)? == [TITLE]));
    ui::replace_text(&app, &ui::search(), &keys::BACKSPACE.to_string());
    app.wait_until("both threads again", |s| Ok(ui::thread_titles(s)?.len() == 2));

    // Archive: gone from the list, back with "Show archived threads", and unarchived.
    app.click(&ui::button(&format!("Archive {TITLE}")));
    app.wait_gone(&ui::thread_row(TITLE));
    app.click(&ui::show_archived());
    app.wait_until("only the archived thread", |s| Ok(ui::thread_titles(s)? == [TITLE]));
    app.click(&ui::button(&format!("Unarchive {TITLE}")));
    app.wait_gone(&ui::thread_row(TITLE));
    app.click(&ui::show_archived());
    app.wait_until("both threads, the unarchived one among them", |s| {
        let titles = ui::thread_titles(s)?;
        Ok(titles.len() == 2 && titles.iter().any(|t| t == TITLE))
    });
}
