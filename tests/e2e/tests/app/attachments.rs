//! Attachments: `@` opens a list of the project's files (git-ignored ones left out), a chosen
//! file goes to the model with the message, and an image picked in the composer goes as an image
//! part; the sent message shows the file's chip and the image's thumbnail.

use coder_e2e::model::answer;
use coder_e2e::{a11y, keys, ui, App, By, ScriptedModel};
use serde_json::{json, Value};

use crate::support::project_folder;

const MAIN: &str = "fn main() {\n    println!(\"stock report\");\n}\n";

/// A small PNG drawn in the page (a bar chart, so the thumbnail shows something), as base64.
fn chart_png(app: &App) -> String {
    let data = app.execute(
        "const canvas = document.createElement('canvas');
         canvas.width = 160; canvas.height = 100;
         const g = canvas.getContext('2d');
         g.fillStyle = '#ffffff'; g.fillRect(0, 0, 160, 100);
         [[20, 60, '#2563eb'], [60, 35, '#16a34a'], [100, 75, '#dc2626']].forEach(([x, h, c]) => {
           g.fillStyle = c; g.fillRect(x, 90 - h, 30, h);
         });
         return canvas.toDataURL('image/png').split(',')[1];",
        vec![],
    );
    data.as_str().expect("the page draws a PNG").to_owned()
}

fn options() -> By {
    By::css("[role='listbox'][aria-label='Project files'] [role='option']")
}

/// Gives the composer's image picker a file, as choosing it in the system dialog would.
fn pick_image(app: &App, name: &str, base64: &str) {
    app.execute(
        "const [name, data] = arguments;
         const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
         const transfer = new DataTransfer();
         transfer.items.add(new File([bytes], name, { type: 'image/png' }));
         const input = document.querySelector(\"input[type='file'][aria-label='Attach image']\");
         input.files = transfer.files;
         input.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![json!(name), json!(base64)],
    );
}

#[test]
fn a_file_from_the_at_list_and_a_picked_image_reach_the_model() {
    let model = ScriptedModel::openai([answer("It prints the stock report.")]);
    let app = App::with_model(&model);
    let folder = project_folder(
        &app,
        "inventory",
        &[(".gitignore", "notes-main.txt\n"), ("src/main.rs", MAIN), ("notes-main.txt", "private")],
    );
    ui::add_project(&app, &folder);

    app.type_into(&ui::composer(), "What does @mai");
    app.wait_until("the @ list to offer src/main.rs", |s| {
        let shown: Vec<String> =
            s.find_all(&options())?.iter().map(|o| o.text().unwrap_or_default()).collect();
        Ok(shown.iter().any(|o| o.contains("main.rs")))
    });
    let shown: Vec<String> = app.find_all(&options()).iter().map(|o| o.text().unwrap()).collect();
    assert!(shown.iter().all(|o| !o.contains("notes-main")), "a git-ignored file is not offered: {shown:?}");
    a11y::assert_wcag_aa(&app, "the composer with the @ list open");
    app.screenshot("app-mentions");

    app.type_into(&ui::composer(), &keys::ENTER.to_string());
    app.wait_gone(&options());
    app.find(&By::xpath("//ul[@aria-label='Attachments']//span[.='src/main.rs']"));
    app.type_into(&ui::composer(), "do?");

    let chart = chart_png(&app);
    pick_image(&app, "stock.png", &chart);
    app.find(&By::css("form.composer ul[aria-label='Attachments'] img[alt='stock.png']"));
    app.type_into(&ui::composer(), &keys::ENTER.to_string());

    let sent = model.wait_for_requests(1, std::time::Duration::from_secs(10));
    let body: Value = sent[0].json().expect("the app sends JSON");
    let messages = body["messages"].as_array().expect("messages");
    let user = messages.iter().rfind(|m| m["role"] == "user").expect("a user turn");
    let parts = user["content"].as_array().unwrap_or_else(|| panic!("an array of parts: {user}"));
    let text = parts[0]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("What does @src/main.rs do?"), "the person's words come first: {text}");
    assert!(
        text.contains("Attached file `src/main.rs`") && text.contains("println!(\"stock report\")"),
        "the file's text goes with the message, headed by its path: {text}"
    );
    assert_eq!(parts[1]["type"], "image_url");
    assert_eq!(
        parts[1]["image_url"]["url"],
        format!("data:image/png;base64,{chart}"),
        "the image goes as a data URL of its bytes"
    );

    let sent_message = "//section[@aria-label='Chat']//article[@data-role='user']";
    app.find(&By::xpath(format!("{sent_message}//ul[@aria-label='Attachments']//span[.='src/main.rs']")));
    app.find(&By::xpath(format!("{sent_message}//ul[@aria-label='Attachments']//img[@alt='stock.png']")));
    app.wait_until("the sent image's thumbnail to be drawn", |s| {
        let drawn = s.execute(
            "const img = document.querySelector(\"article[data-role='user'] ul[aria-label='Attachments'] img\");
             return !!img && img.complete && img.naturalWidth === 160;",
            vec![],
        )?;
        Ok(drawn == Value::Bool(true))
    });
    app.wait_text("It prints the stock report.");
    assert!(
        app.try_find(&By::css("form.composer ul[aria-label='Attachments']")).is_none(),
        "the composer is cleared"
    );
    app.screenshot("app-attachments");
}
