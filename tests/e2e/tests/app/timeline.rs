//! The timeline: the thread's events with their correlations, a filter by correlation, and time
//! travel to how the chat was at an earlier event.

use std::collections::BTreeSet;

use coder_e2e::model::answer;
use coder_e2e::{ui, App, ScriptedModel};

const FIRST: &str = "Which file holds the stock counts?";
const FIRST_REPLY: &str = "They live in stock.json, one entry per item.";
const SECOND: &str = "And how do I add a delivery?";
const SECOND_REPLY: &str = "Run inventory add with the item and the count.";

#[test]
fn the_timeline_filters_by_correlation_and_travels_in_time() {
    let model = ScriptedModel::openai([answer(FIRST_REPLY), answer(SECOND_REPLY)]).on_port_80();
    let app = App::with_model(&model);
    ui::new_thread(&app);
    ui::send(&app, FIRST);
    ui::wait_messages(&app, &[("You", FIRST), ("Coder", FIRST_REPLY)]);
    ui::send(&app, SECOND);
    let now = [("You", FIRST), ("Coder", FIRST_REPLY), ("You", SECOND), ("Coder", SECOND_REPLY)];
    ui::wait_messages(&app, &now);

    ui::open_tab(&app, "Timeline");
    let all = app.wait_for_state("the events of both exchanges", |s| {
        let rows = ui::timeline_rows(s)?;
        let done = rows.iter().filter(|r| r.event_type.contains("MessageComplete")).count() >= 2;
        Ok(if done { Ok(rows) } else { Err(format!("{rows:?}")) })
    });
    assert!(
        all.iter().all(|r| r.sequence > 0 && r.correlation.len() == 8),
        "every event shows its number and its correlation: {all:?}"
    );
    assert!(all.windows(2).all(|pair| pair[0].sequence < pair[1].sequence), "events are in log order");
    let correlations: BTreeSet<&str> = all.iter().map(|r| r.correlation.as_str()).collect();
    assert!(
        correlations.len() >= 3,
        "the thread's creation and each message are their own: {correlations:?}"
    );

    // Filter by the last exchange's correlation: only its events remain.
    let last = all.last().unwrap().correlation.clone();
    app.click(&ui::button(&format!("Only events of correlation {last}")));
    let filtered = app.wait_for_state("only that correlation's events", |s| {
        let rows = ui::timeline_rows(s)?;
        let only = !rows.is_empty() && rows.len() < all.len() && rows.iter().all(|r| r.correlation == last);
        Ok(if only { Ok(rows) } else { Err(format!("{rows:?}")) })
    });
    let expected: Vec<_> = all.iter().filter(|r| r.correlation == last).cloned().collect();
    assert_eq!(filtered, expected, "the filter keeps exactly that correlation's events");
    let chosen = app.find(&ui::correlation_filter()).property("value").unwrap();
    assert!(chosen.as_str().is_some_and(|v| v.ends_with(&last)), "the filter names it: {chosen}");
    app.execute(
        "const select = arguments[0];
         select.value = '';
         select.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![app.find(&ui::correlation_filter()).to_arg()],
    );
    app.wait_until("every event again", |s| Ok(ui::timeline_rows(s)?.len() == all.len()));

    // Back to just before the second question: the chat as it was then, read-only.
    let second =
        all.iter().position(|r| r.summary.contains(SECOND)).expect("the second question is an event");
    let before = &all[second - 1];
    ui::set_range(&app, &ui::time_slider(), second - 1);
    let banner = app.text_of(&ui::past_banner());
    assert!(
        banner.contains(&format!("event #{}", before.sequence)),
        "the banner says which event the past view shows: {banner}"
    );
    ui::wait_messages(&app, &now[..2]);
    assert!(app.try_find(&ui::composer()).is_none(), "the past cannot be written to");
    app.screenshot("app-timeline");

    app.click(&ui::button("Back to now"));
    app.wait_gone(&ui::past_banner());
    ui::wait_messages(&app, &now);
    app.find(&ui::composer());
}
