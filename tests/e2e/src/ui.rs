//! Everything the tests know about the UI's markup: selectors and the small actions built on
//! them. When the UI changes, this is the one file to update.
//!
//! Selectors prefer what a person perceives (accessible names, roles, visible text) over class
//! names, so a restyle does not break them.

use serde_json::Value;

use crate::app::App;
use crate::webdriver::{self, keys, By, Session};

/// An XPath string literal for `text`, whatever quotes it holds.
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// A button whose text is `label` (spaces normalized), or whose accessible name is.
pub fn button(label: &str) -> By {
    let label = xpath_literal(label);
    By::xpath(format!("//button[normalize-space(.)={label} or @aria-label={label}]"))
}

// ---- the sidebar --------------------------------------------------------------------------

/// The sidebar: projects and threads, search, settings.
/// A label whose text is `text` (spaces normalized): clicking it sets its control.
pub fn label(text: &str) -> By {
    By::xpath(format!("//label[normalize-space(.)={}]", xpath_literal(text)))
}

pub fn sidebar() -> By {
    By::css("aside[aria-label='Sidebar']")
}

pub fn new_thread_button() -> By {
    button("New thread")
}

pub fn add_project_button() -> By {
    button("Add project")
}

pub fn settings_button() -> By {
    button("Settings")
}

pub fn search() -> By {
    By::css("input[aria-label='Search threads']")
}

/// The projects and their threads.
pub fn thread_list() -> By {
    By::css("nav[aria-label='Projects']")
}

/// The button that opens the thread titled `title` in the sidebar.
pub fn thread(title: &str) -> By {
    By::xpath(format!(
        "//nav[@aria-label='Projects']//li/button[.//*[normalize-space(.)={}]]",
        xpath_literal(title)
    ))
}

/// The provider label at the foot of the sidebar.
pub fn provider_label() -> By {
    By::css("aside[aria-label='Sidebar'] footer")
}

/// The sidebar row (`li`) of the thread titled `title`.
pub fn thread_row(title: &str) -> By {
    By::xpath(format!(
        "//nav[@aria-label='Projects']//li[contains(@class,'thread-row')][.//span[@class='title'][normalize-space(.)={}]]",
        xpath_literal(title)
    ))
}

/// The unread badge on the row of the thread titled `title`.
pub fn unread_badge(title: &str) -> By {
    By::xpath(format!(
        "//nav[@aria-label='Projects']//li[contains(@class,'thread-row')][.//span[@class='title'][normalize-space(.)={}]]\
         //span[contains(@class,'unread')]",
        xpath_literal(title)
    ))
}

/// The titles of the threads the sidebar lists, in order.
pub fn thread_titles(session: &Session) -> webdriver::Result<Vec<String>> {
    let value = session.execute(
        "return [...document.querySelectorAll(\"nav[aria-label='Projects'] li.thread-row .title\")]
           .map((t) => t.textContent.trim());",
        Vec::new(),
    )?;
    Ok(value.as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)).collect())
}

/// The section of the project named `name` in the sidebar.
pub fn project(name: &str) -> By {
    By::css(format!("nav[aria-label='Projects'] section[aria-label='{name}']"))
}

/// The in-place editor of a thread's title (Enter saves, Escape cancels).
pub fn title_editor() -> By {
    By::css("input[aria-label='Thread title']")
}

/// The "Show archived threads" checkbox.
pub fn show_archived() -> By {
    By::xpath(
        "//aside[@aria-label='Sidebar']//label[contains(normalize-space(.),'Show archived threads')]/input",
    )
}

/// The "Add a project" dialog.
pub fn add_project_dialog() -> By {
    By::css("dialog[aria-label='Add a project']")
}

/// The folder field of the "Add a project" dialog.
pub fn project_folder() -> By {
    By::xpath(
        "//dialog[@aria-label='Add a project']//label[contains(normalize-space(.),'Project folder')]//input",
    )
}

// ---- the main area ------------------------------------------------------------------------

/// The first-start screen (no `settings.json` yet).
pub fn welcome() -> By {
    By::css("[aria-label='Welcome']")
}

/// The open thread's chat.
pub fn chat() -> By {
    By::css("section[aria-label='Chat']")
}

/// The chat's scrolling list of entries (virtualized: only rows near the view are in the DOM).
pub fn chat_log() -> By {
    By::css("[role='log'][aria-label='Messages']")
}

/// The composer.
pub fn composer() -> By {
    By::css("textarea[aria-label='Message']")
}

/// The marker shown while a reply streams.
pub fn typing() -> By {
    By::css("[aria-label='Coder is typing']")
}

/// An error shown to the person.
pub fn alert() -> By {
    By::css("[role='alert']")
}

/// The details panel beside the chat (tabs Run, Files, Timeline).
pub fn details() -> By {
    By::css("aside[aria-label='Details']")
}

/// A tab of the details panel: "Run", "Files" or "Timeline".
pub fn tab(label: &str) -> By {
    By::xpath(format!("//*[@role='tab'][normalize-space(.)={}]", xpath_literal(label)))
}

/// The banner above a past view of the chat (time travel).
pub fn past_banner() -> By {
    By::css("section[aria-label='Chat'] p.past-banner")
}

// ---- tool cards ---------------------------------------------------------------------------

/// The tool cards in the chat.
pub fn tool_cards() -> By {
    By::css("section[aria-label='Chat'] article.tool-card")
}

/// A tool card whose `data-status` is `status` (`pending`, `running`, `success`, `failed`,
/// `cancelled` or `awaiting_approval`).
pub fn tool_card(status: &str) -> By {
    By::css(format!("section[aria-label='Chat'] article.tool-card[data-status='{status}']"))
}

/// The output a tool card shows once "Show output" is pressed.
pub fn tool_output() -> By {
    By::css("section[aria-label='Chat'] article.tool-card pre.tool-output")
}

// ---- the run tab --------------------------------------------------------------------------

/// The run's status in the Run tab (`data-run-status` holds the `RunStatus`).
/// Why the shown run ended, in the Run tab.
pub fn run_end() -> By {
    By::css(".run-end p")
}

pub fn run_status() -> By {
    By::css("dl[aria-label='Run summary'] dd[data-run-status]")
}

/// A step waiting for the person's approval, in the Run tab.
pub fn approval() -> By {
    By::css("aside[aria-label='Details'] section.approval[aria-label='Waiting for approval']")
}

/// The diff of a pending write to `path`, in the approval.
pub fn pending_diff(path: &str) -> By {
    By::css(format!("section.approval pre.diff[aria-label='Changes to {path}']"))
}

/// The Approve button of the approval.
pub fn approve() -> By {
    By::xpath("//section[@aria-label='Waiting for approval']//button[normalize-space(.)='Approve']")
}

// ---- the files tab ------------------------------------------------------------------------

/// The change of `path` in the Files tab's list.
pub fn file_change(path: &str) -> By {
    By::xpath(format!(
        "//ul[@aria-label='File changes']//button[contains(@class,'change')][.//span[@class='path'][normalize-space(.)={}]]",
        xpath_literal(path)
    ))
}

/// Every change listed in the Files tab.
pub fn file_changes() -> By {
    By::css("ul[aria-label='File changes'] button.change")
}

/// The diff of the selected change of `path`.
pub fn file_diff(path: &str) -> By {
    By::css(format!("section[aria-label='Diff of {path}'] pre.diff"))
}

/// The added lines of the diff shown in the Files tab.
pub fn diff_added_lines() -> By {
    By::css("aside[aria-label='Details'] section.diff-section pre.diff span.diff-add")
}

/// A revert refused because the file changed since.
pub fn revert_refusal() -> By {
    By::css("aside[aria-label='Details'] div.refusal[role='alert']")
}

/// What the Files tab says after a revert.
pub fn files_note() -> By {
    By::css("aside[aria-label='Details'] p.note[role='status']")
}

// ---- the timeline tab ---------------------------------------------------------------------

/// The time travel slider.
pub fn time_slider() -> By {
    By::css("input[type='range'][aria-label='Time travel']")
}

/// The correlation filter.
pub fn correlation_filter() -> By {
    By::css("select[aria-label='Filter by correlation']")
}

/// A row of the timeline as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRow {
    /// The event's sequence number ("#12" shows 12).
    pub sequence: u64,
    pub event_type: String,
    pub summary: String,
    /// The correlation's first 8 characters, as its button shows them.
    pub correlation: String,
}

/// The timeline's rows, read in one round trip.
pub fn timeline_rows(session: &Session) -> webdriver::Result<Vec<TimelineRow>> {
    let value = session.execute(
        "return [...document.querySelectorAll(\"ol[aria-label='Events'] > li\")].map((li) => ({
           seq: li.querySelector('.seq')?.textContent ?? '',
           type: li.querySelector('.type')?.textContent ?? '',
           summary: li.querySelector('.summary')?.textContent ?? '',
           correlation: li.querySelector('button.correlation')?.textContent ?? '',
         }));",
        Vec::new(),
    )?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| TimelineRow {
            sequence: str_field(row, "seq").trim_start_matches('#').parse().unwrap_or(0),
            event_type: str_field(row, "type"),
            summary: str_field(row, "summary"),
            correlation: str_field(row, "correlation"),
        })
        .collect())
}

/// A chat message as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// "You", "Coder" or "System": the label above the text.
    pub who: String,
    pub text: String,
    /// Whether it is still streaming.
    pub streaming: bool,
}

/// The chat's rendered messages in order, read in one round trip. The list is virtualized:
/// in a long thread these are the rows near the visible part, not all of them.
pub fn messages(session: &Session) -> webdriver::Result<Vec<Message>> {
    let value = session.execute(
        "const chat = document.querySelector(\"section[aria-label='Chat']\");
         if (!chat) return [];
         return [...chat.querySelectorAll('article.message')].map((m) => ({
           who: m.querySelector('.who')?.innerText ?? '',
           text: (m.querySelector('.message-body .markdown') ?? m.querySelector('.message-body'))?.innerText ?? '',
           streaming: m.dataset.streaming === 'true',
         }));",
        Vec::new(),
    )?;
    let list = value.as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .map(|m| Message {
            who: str_field(m, "who"),
            text: str_field(m, "text").trim().to_owned(),
            streaming: m["streaming"].as_bool().unwrap_or(false),
        })
        .collect())
}

fn str_field(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

// ---- readiness ----------------------------------------------------------------------------

/// Whether the UI has rendered (the harness waits for this after every start).
pub fn is_ready(session: &Session) -> webdriver::Result<bool> {
    let value = session.execute(
        "return document.readyState === 'complete'
           && !!document.querySelector(\"aside[aria-label='Sidebar']\");",
        Vec::new(),
    )?;
    Ok(value.as_bool().unwrap_or(false))
}

// ---- actions ------------------------------------------------------------------------------

/// Starts a new thread and waits for its empty chat.
pub fn new_thread(app: &App) {
    app.click(&new_thread_button());
    app.find(&composer());
}

/// Types `text` into the composer and sends it with Enter.
pub fn send(app: &App, text: &str) {
    app.type_into(&composer(), &format!("{text}{}", keys::ENTER));
}

/// Adds the project folder `path` through the "Add a project" dialog (typing its path) and
/// waits for the new thread the app opens in it.
pub fn add_project(app: &App, path: &std::path::Path) {
    app.click(&add_project_button());
    app.find(&add_project_dialog());
    app.type_into(&project_folder(), &path.display().to_string());
    app.click(&By::css("dialog[aria-label='Add a project'] button[type='submit']"));
    app.wait_gone(&add_project_dialog());
    app.find(&composer());
}

/// Replaces the text of the input matching `by` with `text` (which may end in a key such as
/// `keys::ENTER`): selects what it holds, then types over it. (Ctrl+A is no way to select:
/// WebKitWebDriver keeps Control pressed past `keys::NULL`, so what follows would be shortcuts.)
pub fn replace_text(app: &App, by: &By, text: &str) {
    app.wait_for(&format!("{by} to take input"), |s| {
        let input = s.find(by)?;
        s.execute("arguments[0].focus(); arguments[0].select();", vec![input.to_arg()])?;
        input.send_keys(text).map(Some)
    });
}

/// Opens a tab of the details panel.
pub fn open_tab(app: &App, label: &str) {
    app.click(&tab(label));
    app.wait_until(&format!("the {label} tab to be selected"), |s| {
        Ok(s.find(&tab(label))?.attribute("aria-selected")?.as_deref() == Some("true"))
    });
}

/// Moves the range input matching `by` to `value` the way a drag does: sets its value and fires
/// `input` and `change` (through the native setter, so React sees the change).
pub fn set_range(app: &App, by: &By, value: usize) {
    let slider = app.find(by);
    app.execute(
        "const [el, value] = arguments;
         const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
         setter.call(el, String(value));
         el.dispatchEvent(new Event('input', { bubbles: true }));
         el.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![slider.to_arg(), value.into()],
    );
}

/// Opens the thread titled `title` and waits for its chat.
pub fn open_thread(app: &App, title: &str) {
    app.click(&thread(title));
    app.find(&chat());
}

/// Waits until the chat shows exactly `expected` as (who, text) pairs, none streaming.
pub fn wait_messages(app: &App, expected: &[(&str, &str)]) -> Vec<Message> {
    app.wait_for_state(&format!("the messages {expected:?}"), |s| {
        let shown = messages(s)?;
        let matches = shown.len() == expected.len()
            && shown
                .iter()
                .zip(expected)
                .all(|(m, (who, text))| !m.streaming && m.who == *who && m.text == *text);
        Ok(if matches { Ok(shown) } else { Err(format!("{shown:?}")) })
    })
}
