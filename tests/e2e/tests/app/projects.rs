//! Projects: a folder added through the "Add a project" dialog shows in the sidebar, with a new
//! thread in it, open.

use coder_e2e::{ui, App, By};

use crate::support::project_folder;

#[test]
fn a_project_added_through_the_dialog_shows_with_its_new_thread_open() {
    let app = App::start();
    let folder = project_folder(&app, "inventory", &[("README.md", "# inventory\n")]);

    // A path that is not a folder is refused in the dialog, which stays open to fix it.
    app.click(&ui::add_project_button());
    app.type_into(&ui::project_folder(), &folder.join("missing").display().to_string());
    app.click(&By::css("dialog[aria-label='Add a project'] button[type='submit']"));
    let refusal = app.text_of(&By::css("dialog[aria-label='Add a project'] [role='alert']"));
    assert!(!refusal.is_empty(), "a folder that does not exist is refused with a reason");
    app.click(&By::xpath("//dialog[@aria-label='Add a project']//button[normalize-space(.)='Cancel']"));
    app.wait_gone(&ui::add_project_dialog());

    ui::add_project(&app, &folder);
    let section = app.find(&ui::project("inventory"));
    assert_eq!(
        section.find(&By::css("h2")).unwrap().attribute("title").unwrap().as_deref(),
        Some(folder.canonicalize().unwrap().to_str().unwrap()),
        "the project is named after its folder and shows the folder's path"
    );
    assert_eq!(
        ui::thread_titles(app.session()).unwrap(),
        ["New thread"],
        "the project lists the thread just created, with the default title"
    );
    let row =
        section.find(&ui::thread_row("New thread")).expect("the new thread is in the project's section");
    assert_eq!(
        row.attribute("aria-current").unwrap().as_deref(),
        Some("true"),
        "the new thread is the one open"
    );
    app.find(&ui::button("New thread in inventory"));

    // "New thread" opens a thread in the project of the open thread, as Ctrl+N does.
    app.click(&ui::new_thread_button());
    app.wait_for("a second thread in the project", |s| {
        let rows = s.find(&ui::project("inventory"))?.find_all(&ui::thread_row("New thread"))?;
        Ok((rows.len() == 2).then_some(()))
    });

    // The open thread belongs to the project: its Files tab is the project's, not the
    // "no project folder" note.
    ui::open_tab(&app, "Files");
    app.wait_text("No file changes yet");
}
