//! Images attached to a user turn, as each provider sends them, and a model's refusal of them.

use coder_agent::attachments::base64;
use coder_agent::provider::{
    AnthropicConfig, AnthropicProvider, ImagePart, ModelMessage, ModelRequest, OpenAiConfig, OpenAiProvider,
    Provider, ProviderError,
};
use coder_agent::testing::{Fault, ScriptServer, Turn};
use coder_domain::ContentHash;
use serde_json::{json, Value};

use crate::support::{collect, hello_request, plain_script};

/// The first bytes of a PNG: enough for a request, not a picture.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn image() -> ImagePart {
    ImagePart { mime_type: "image/png".into(), blob: ContentHash::of(PNG), data: base64(PNG) }
}

/// A user turn with a question and one image, after an earlier text-only turn.
fn image_request() -> ModelRequest {
    ModelRequest {
        messages: vec![
            ModelMessage::User { content: "Hello there".into() },
            ModelMessage::Assistant { content: "Hi.".into(), tool_calls: Vec::new() },
            ModelMessage::User { content: "What does this show?".into() },
            ModelMessage::UserImage { image: image() },
        ],
        ..hello_request()
    }
}

fn openai(server: &ScriptServer) -> OpenAiProvider {
    OpenAiProvider::new(OpenAiConfig::new(server.base_url(), "llama3")).unwrap()
}

fn anthropic(server: &ScriptServer) -> AnthropicProvider {
    let config =
        AnthropicConfig { base_url: server.base_url(), ..AnthropicConfig::new("claude", "sk-ant-test") };
    AnthropicProvider::new(config).unwrap()
}

fn body(server: &ScriptServer) -> Value {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request was sent");
    requests[0].json().expect("the request body is JSON")
}

#[tokio::test]
async fn openai_sends_an_image_as_a_data_url_part_of_the_user_turn() {
    let server = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let got = collect(openai(&server).stream(image_request())).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let messages = body(&server)["messages"].clone();
    assert_eq!(
        messages[1],
        json!({ "role": "user", "content": "Hello there" }),
        "a text-only turn keeps its plain string content"
    );
    assert_eq!(
        messages[3],
        json!({
            "role": "user",
            "content": [
                { "type": "text", "text": "What does this show?" },
                { "type": "image_url", "image_url": { "url": format!("data:image/png;base64,{}", base64(PNG)) } },
            ],
        }),
        "the image joins the turn it belongs to, as a data URL"
    );
    assert_eq!(messages.as_array().unwrap().len(), 4, "system, user, assistant, user: {messages}");
}

#[tokio::test]
async fn anthropic_sends_an_image_as_a_base64_block_of_the_user_turn() {
    let server = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
    let got = collect(anthropic(&server).stream(image_request())).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let messages = body(&server)["messages"].clone();
    assert_eq!(
        messages[0],
        json!({ "role": "user", "content": [{ "type": "text", "text": "Hello there" }] })
    );
    assert_eq!(
        messages[2],
        json!({
            "role": "user",
            "content": [
                { "type": "text", "text": "What does this show?" },
                { "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": base64(PNG) } },
            ],
        }),
        "the image is a block of the same user message"
    );
    assert_eq!(messages.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_image_without_its_bytes_is_sent_as_a_note() {
    let server = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let mut request = image_request();
    request.messages[3] = ModelMessage::UserImage { image: ImagePart { data: String::new(), ..image() } };
    collect(openai(&server).stream(request)).await;
    let part = body(&server)["messages"][3]["content"][1].clone();
    assert_eq!(part["type"], "text");
    assert!(part["text"].as_str().unwrap().contains("could not be read"), "{part}");
}

#[tokio::test]
async fn a_model_without_vision_refuses_in_words_the_person_can_act_on() {
    let refusal = json!({ "error": {
        "message": "Invalid content type. image_url is only supported by certain models.",
        "type": "invalid_request_error",
    }})
    .to_string();
    let server = ScriptServer::openai([Turn::fault(Fault::Status(400, refusal.clone()))]).unwrap();
    let got = collect(openai(&server).stream(image_request())).await;
    match got.error() {
        ProviderError::ImagesUnsupported { detail } => assert!(detail.contains("image_url"), "{detail}"),
        other => panic!("expected ImagesUnsupported, got {other:?}"),
    }
    assert!(got
        .error()
        .to_string()
        .starts_with("This model does not accept images; remove the image or choose a model with vision"));

    let anthropic_refusal = json!({ "type": "error", "error": {
        "type": "invalid_request_error",
        "message": "This model does not support image input.",
    }})
    .to_string();
    let server = ScriptServer::anthropic([Turn::fault(Fault::Status(400, anthropic_refusal))]).unwrap();
    let got = collect(anthropic(&server).stream(image_request())).await;
    assert!(matches!(got.error(), ProviderError::ImagesUnsupported { .. }), "{:?}", got.error());

    // The same words for a request without images are the provider's own refusal.
    let server = ScriptServer::openai([Turn::fault(Fault::Status(400, refusal))]).unwrap();
    let got = collect(openai(&server).stream(hello_request())).await;
    assert!(matches!(got.error(), ProviderError::Http { status: 400, .. }), "{:?}", got.error());
}

/// A message of only an image: its user turn has no empty text part, which servers refuse.
fn image_only_request() -> ModelRequest {
    ModelRequest {
        messages: vec![
            ModelMessage::User { content: String::new() },
            ModelMessage::UserImage { image: image() },
        ],
        ..hello_request()
    }
}

#[tokio::test]
async fn a_message_of_only_an_image_sends_no_empty_text() {
    let server = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let got = collect(openai(&server).stream(image_only_request())).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let user = body(&server)["messages"][1].clone();
    let parts = user["content"].as_array().unwrap_or_else(|| panic!("parts: {user}"));
    assert_eq!(parts.len(), 1, "only the image: {user}");
    assert_eq!(parts[0]["type"], "image_url");

    let server = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
    let got = collect(anthropic(&server).stream(image_only_request())).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    let user = body(&server)["messages"][0].clone();
    let blocks = user["content"].as_array().unwrap_or_else(|| panic!("blocks: {user}"));
    assert_eq!(blocks.len(), 1, "only the image: {user}");
    assert_eq!(blocks[0]["type"], "image");
}
