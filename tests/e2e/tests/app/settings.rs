//! Settings in the real window: the API key field and the controls that keep keys safe are there
//! and labelled, and the screen passes axe-core's WCAG 2 A and AA rules in the light theme and in the dark one.

use coder_e2e::{a11y, ui, App};

fn open_key_settings(app: &App) {
    app.click(&ui::settings_button());
    app.click(&ui::label("OpenAI-compatible server (OpenAI, LM Studio, vLLM, llama.cpp…)"));
    app.wait_text("Allow sending API keys over plain http:// to other computers");
    app.wait_text("Plain http:// to this computer (localhost) is always allowed.");
    // The key field is there and labelled. The window tests have no keyring to talk to, so its
    // status may say why in words; either way the screen shows a status and does not crash.
    app.find(&ui::label("API key"));
    app.wait_until("the API key's status", |_| {
        let text = app.visible_text();
        Ok(["Keyring unavailable", "Stored in the system keyring", "Not set", "the environment wins"]
            .iter()
            .any(|status| text.contains(status)))
    });
    let text = app.visible_text();
    if text.contains("Keyring unavailable") {
        assert!(
            text.contains("OPENAI_API_KEY"),
            "an unavailable keyring names the variable to set instead: {text}"
        );
    }
}

#[test]
fn the_settings_screen_offers_key_safety_and_passes_wcag_aa_in_the_light_theme() {
    let app = App::start();
    assert!(!a11y::is_dark(&app), "the window starts in the light theme");
    open_key_settings(&app);
    app.screenshot("app-settings");
    a11y::assert_wcag_aa(&app, "the settings screen");
}

#[test]
fn the_settings_screen_passes_wcag_aa_in_the_dark_theme() {
    let (name, value) = a11y::DARK_THEME;
    let app = App::builder().env(name, value).start();
    assert!(a11y::is_dark(&app), "the window follows the desktop's dark theme");
    open_key_settings(&app);
    a11y::assert_wcag_aa(&app, "the dark settings screen");
}
