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
