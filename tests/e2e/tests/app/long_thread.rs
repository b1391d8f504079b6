//! A long thread stays light: the chat is virtualized, so however long the thread, only the rows
//! near the visible part are in the DOM, and scrolling brings the right ones in.

use coder_e2e::{ui, App, Session};
use serde_json::{json, Value};

const TITLE: &str = "Ten thousand messages";

const MESSAGES: usize = 10_000;

/// Rows in the DOM at most, whatever the thread's length.
const MAX_ROWS: usize = 100;

/// Scroll positions visited between the top and the bottom.
const STEPS: usize = 40;

/// What the chat's scroller shows now, read in one round trip.
#[derive(Debug)]
struct View {
    /// `data-index` of each rendered row, in DOM order.
    indices: Vec<u64>,
    /// Rows still waiting for their entry (placeholders).
    loading: usize,
    /// Whether the rendered rows cover the scroller's visible part, top to bottom.
    covered: bool,
    scroll_top: f64,
    /// `scrollHeight - clientHeight`: the largest `scroll_top`.
    max_scroll: f64,
}

fn view(session: &Session) -> coder_e2e::webdriver::Result<View> {
    let value = session.execute(
        "const log = document.querySelector(\"[role='log'][aria-label='Messages']\");
         if (!log) return null;
         const box = log.getBoundingClientRect();
         const rows = [...log.querySelectorAll('.entry')];
         const rects = rows.map((r) => r.getBoundingClientRect());
         const top = Math.min(...rects.map((r) => r.top));
         const bottom = Math.max(...rects.map((r) => r.bottom));
         return {
           indices: rows.map((r) => Number(r.dataset.index)),
           loading: log.querySelectorAll('.row-placeholder').length,
           covered: rows.length > 0 && top <= box.top + 1 && bottom >= box.bottom - 1,
           scrollTop: log.scrollTop,
           maxScroll: log.scrollHeight - log.clientHeight,
         };",
        Vec::new(),
    )?;
    let number = |key: &str| value[key].as_f64().unwrap_or(0.0);
    Ok(View {
        indices: value["indices"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect(),
        loading: value["loading"].as_u64().unwrap_or(0) as usize,
        covered: value["covered"].as_bool().unwrap_or(false),
        scroll_top: number("scrollTop"),
        max_scroll: number("maxScroll"),
    })
}

/// Waits until the rows at the scroll position are rendered and loaded, checking on the way
/// that the DOM never holds more than `MAX_ROWS` rows and they are one contiguous run.
fn wait_rendered(app: &App, what: &str) -> View {
    app.wait_for_state(what, |s| {
        let shown = view(s)?;
        assert!(
            shown.indices.len() < MAX_ROWS,
            "only rows near the visible part are in the DOM, not {} of them ({what})",
            shown.indices.len()
        );
        let contiguous = shown.indices.windows(2).all(|pair| pair[1] == pair[0] + 1);
        Ok(if contiguous && shown.covered && shown.loading == 0 {
            Ok(shown)
        } else {
            Err(format!("{shown:?}"))
        })
    })
}

#[test]
fn a_ten_thousand_message_thread_keeps_under_a_hundred_rows_while_scrolling() {
    // Writing the thread takes a while: it is done before waiting for the app's turn (while
    // another test's app may run), and the store is moved in when this test's turn comes.
    let seeded = tempfile::tempdir().expect("a temporary directory can be created");
    coder_bench::write_long_thread(seeded.path(), TITLE, MESSAGES).expect("the long thread is written");
    let app = App::builder()
        .seed(move |data_dir| {
            for file in std::fs::read_dir(seeded.path()).expect("the seeded store can be listed") {
                let file = file.expect("the seeded store can be listed");
                std::fs::rename(file.path(), data_dir.join(file.file_name()))
                    .expect("the seeded store moves into the data directory");
            }
        })
        .start();
    ui::open_thread(&app, TITLE);
    let thread_id = app
        .find(&ui::thread_row(TITLE))
        .attribute("data-thread-id")
        .unwrap()
        .expect("a thread row carries its thread's id");
    let page = app
        .invoke("chat_page", json!({ "threadId": thread_id, "start": 0, "count": 1 }))
        .unwrap_or_else(|e| panic!("chat_page failed: {e}"));
    let total = page["total"].as_u64().expect("a chat page says how many entries the chat has");
    assert!(total >= MESSAGES as u64, "the chat holds every message (and the tool cards): {total}");

    // It opens at the end, where the newest message is.
    let end = wait_rendered(&app, "the newest rows");
    assert_eq!(end.indices.last(), Some(&(total - 1)), "the thread opens at its newest entry");

    // To the top, then down in steps, then to the very bottom.
    let set_scroll = |top: f64| {
        app.execute(
            "document.querySelector(\"[role='log'][aria-label='Messages']\").scrollTop = arguments[0];",
            vec![json!(top)],
        );
    };
    set_scroll(0.0);
    let top = wait_rendered(&app, "the oldest rows");
    assert_eq!(top.indices.first(), Some(&0), "scrolled to the top, the first entry shows");
    for step in 1..=STEPS {
        let max = view(app.session()).unwrap().max_scroll;
        let target = (max * step as f64 / STEPS as f64).round();
        set_scroll(target);
        let shown = wait_rendered(&app, &format!("the rows at step {step} of {STEPS}"));
        let fraction = shown.scroll_top / shown.max_scroll.max(1.0);
        let first = *shown.indices.first().unwrap() as f64 / total as f64;
        assert!(
            (first - fraction).abs() < 0.08,
            "the rows shown are the ones at the scroll position: step {step}, scrolled {fraction:.3} of the \
             way, first row {first:.3} of the way ({shown:?})"
        );
    }
    set_scroll(1e9);
    let bottom = wait_rendered(&app, "the newest rows again");
    assert_eq!(bottom.indices.last(), Some(&(total - 1)), "scrolled to the bottom, the newest entry shows");
}
