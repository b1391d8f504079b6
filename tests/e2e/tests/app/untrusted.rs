//! Model output is untrusted: markup and script in an answer show as text and run nothing, and
//! no link in it navigates the app's window.

use coder_e2e::model::answer;
use coder_e2e::{ui, App, By, ScriptedModel};
use serde_json::Value;

/// Every way an answer might try to run script, one per paragraph.
const PAYLOADS: [&str; 7] = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=2\">",
    "[click me](javascript:window.__pwned=3)",
    "<a href=\"javascript:window.__pwned=4\">a</a>",
    "<div onmouseover=\"window.__pwned=5\">hover</div>",
    "<svg onload=\"window.__pwned=6\">",
    "<iframe src=\"javascript:window.__pwned=7\">",
];

#[test]
fn script_in_an_answer_executes_nothing() {
    let text = format!("Here you go:\n\n{}\n\nThat is all.", PAYLOADS.join("\n\n"));
    let model = ScriptedModel::openai([answer(&text)]);
    let app = App::with_model(&model);
    let home = app.execute("return location.href;", Vec::new());
    ui::new_thread(&app);
    ui::send(&app, "Show me some HTML.");
    app.wait_until("the answer to complete", |s| {
        let shown = ui::messages(s)?;
        Ok(shown.len() == 2 && !shown[1].streaming && shown[1].text.ends_with("That is all."))
    });
    let shown = ui::messages(app.session()).unwrap();
    for raw in ["<script>window.__pwned=1</script>", "<svg onload=\"window.__pwned=6\">"] {
        assert!(shown[1].text.contains(raw), "raw HTML shows as the characters the model wrote: {raw}");
    }

    // Click what looks clickable, and hover and poke everything in the answer.
    let answer = By::css("section[aria-label='Chat'] article[data-role='assistant'] .message-body");
    app.click(&By::xpath(
        "//section[@aria-label='Chat']//article[@data-role='assistant']//*[contains(text(),'click me')]",
    ));
    let links =
        app.find_all(&By::css("section[aria-label='Chat'] article[data-role='assistant'] .message-body a"));
    for link in &links {
        link.click().expect("a link in the answer can be clicked");
    }
    app.execute(
        "for (const el of arguments[0].querySelectorAll('*')) {
           for (const type of ['mouseover', 'mouseenter', 'click', 'load', 'error']) {
             el.dispatchEvent(new MouseEvent(type, { bubbles: true }));
           }
         }",
        vec![app.find(&answer).to_arg()],
    );
    // Anything that did get scheduled has had its turn by now.
    app.execute_async("setTimeout(arguments[0], 300);", Vec::new());

    let verdict = app.execute(
        "const chat = document.querySelector(\"section[aria-label='Chat']\");
         return {
           pwned: window.__pwned === undefined ? null : String(window.__pwned),
           href: location.href,
           embedded: [...chat.querySelectorAll('script, img, iframe, svg, object, embed')]
             .map((el) => el.outerHTML),
           handlers: [...chat.querySelectorAll('*')]
             .filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on')))
             .map((el) => el.outerHTML),
           javascriptLinks: [...chat.querySelectorAll('[href], [src]')]
             .map((el) => el.getAttribute('href') ?? el.getAttribute('src'))
             .filter((url) => !/^(https?|mailto):/i.test(url.trim())),
         };",
        Vec::new(),
    );
    assert_eq!(verdict["pwned"], Value::Null, "no script in the answer ran");
    assert_eq!(verdict["href"], home, "no link in the answer navigated the app's window");
    assert_eq!(verdict["embedded"], serde_json::json!([]), "nothing in the chat embeds or loads content");
    assert_eq!(verdict["handlers"], serde_json::json!([]), "no element in the chat carries an event handler");
    assert_eq!(
        verdict["javascriptLinks"],
        serde_json::json!([]),
        "no URL in the chat is anything but a web page"
    );
    app.find(&ui::composer());
}
