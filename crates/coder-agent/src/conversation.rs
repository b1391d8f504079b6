//! The conversation sent to the model, rebuilt from the thread's events — so a run resumed after
//! a restart asks the model exactly what an uninterrupted run would have.
//!
//! Messages become user and assistant turns; the tool uses an assistant message started become
//! its tool calls (their ids are our tool-use ids), and each tool use's end becomes a tool result:
//! the output on success, the error on failure, and a plain statement on a rejection or a
//! cancellation, so the model knows what the person decided.

use std::collections::HashMap;

use coder_domain::{DomainEvent, EventEnvelope, MessageId, Role, ToolOutput, ToolUseId, Verdict};

use crate::provider::{ModelMessage, ToolCall};

/// Characters of a tool result sent back to the model at most.
const RESULT_CHARS: usize = 32 * 1024;

/// The model's view of a thread, from its events in sequence order.
pub fn from_events(events: &[EventEnvelope]) -> Vec<ModelMessage> {
    let mut messages: Vec<ModelMessage> = Vec::new();
    // Assistant message → its index in `messages`.
    let mut assistant_at: HashMap<MessageId, usize> = HashMap::new();
    // Every message → its index; each tool use → its message and its result's index.
    let mut message_at: HashMap<MessageId, usize> = HashMap::new();
    let mut tool_message: HashMap<ToolUseId, MessageId> = HashMap::new();
    let mut result_at: HashMap<ToolUseId, usize> = HashMap::new();
    let mut text: HashMap<MessageId, String> = HashMap::new();
    let mut rejected: HashMap<ToolUseId, Option<String>> = HashMap::new();
    let mut step_tool: HashMap<coder_domain::StepId, ToolUseId> = HashMap::new();
    let mut deleted: Vec<MessageId> = Vec::new();
    for envelope in events {
        match &envelope.event {
            DomainEvent::MessageAdded { message_id, content, role, .. } => match role {
                Role::User => {
                    message_at.insert(*message_id, messages.len());
                    messages.push(ModelMessage::User { content: content.clone() });
                }
                Role::Assistant => {
                    assistant_at.insert(*message_id, messages.len());
                    message_at.insert(*message_id, messages.len());
                    text.insert(*message_id, content.clone());
                    messages
                        .push(ModelMessage::Assistant { content: content.clone(), tool_calls: Vec::new() });
                }
                Role::System => {}
            },
            DomainEvent::MessageStreaming { message_id, content, .. } => {
                if let Some(t) = text.get_mut(message_id) {
                    t.push_str(content);
                }
                set_text(&mut messages, &assistant_at, *message_id, text.get(message_id));
            }
            DomainEvent::MessageComplete { message_id, final_content, .. } => {
                text.insert(*message_id, final_content.clone());
                set_text(&mut messages, &assistant_at, *message_id, text.get(message_id));
            }
            DomainEvent::MessageDeleted { message_id, .. } => deleted.push(*message_id),
            DomainEvent::ToolUseStarted { tool_use_id, message_id, tool_name, input, .. } => {
                tool_message.insert(*tool_use_id, *message_id);
                if let Some(ModelMessage::Assistant { tool_calls, .. }) =
                    assistant_at.get(message_id).and_then(|i| messages.get_mut(*i))
                {
                    tool_calls.push(ToolCall {
                        id: tool_use_id.to_string(),
                        name: tool_name.clone(),
                        input: input.clone(),
                    });
                }
            }
            DomainEvent::RunStepStarted {
                step_id,
                step_type: coder_domain::StepType::ToolCall { tool_use_id, .. },
                ..
            } => {
                step_tool.insert(*step_id, *tool_use_id);
            }
            DomainEvent::RunStepUpdated { step_id, decision: Some(decision), .. }
                if decision.verdict == Verdict::Rejected =>
            {
                if let Some(tool) = step_tool.get(step_id) {
                    rejected.insert(*tool, decision.reason.clone());
                }
            }
            DomainEvent::ToolUseComplete { tool_use_id, result, .. } => {
                result_at.insert(*tool_use_id, messages.len());
                messages.push(result_message(*tool_use_id, output_text(result), false));
            }
            DomainEvent::ToolUseFailed { tool_use_id, error, .. } => {
                result_at.insert(*tool_use_id, messages.len());
                messages.push(result_message(*tool_use_id, format!("Error: {error}"), true));
            }
            DomainEvent::ToolUseCancelled { tool_use_id, .. } => {
                let content = match rejected.get(tool_use_id) {
                    Some(Some(reason)) => format!("The person rejected this tool call: {reason}"),
                    Some(None) => "The person rejected this tool call; it was not run.".to_string(),
                    None => "This tool call was cancelled and did not finish.".to_string(),
                };
                result_at.insert(*tool_use_id, messages.len());
                messages.push(result_message(*tool_use_id, content, true));
            }
            _ => {}
        }
    }
    // A deleted message is left out, as the person removed it from the conversation, and so are
    // the results of its tool calls: a result whose call is gone would be refused by the provider.
    let mut deleted_at: std::collections::HashSet<usize> =
        deleted.iter().filter_map(|m| message_at.get(m).copied()).collect();
    for (tool, message) in &tool_message {
        if deleted.contains(message) {
            deleted_at.extend(result_at.get(tool).copied());
        }
    }
    messages.into_iter().enumerate().filter(|(i, _)| !deleted_at.contains(i)).map(|(_, m)| m).collect()
}

fn set_text(
    messages: &mut [ModelMessage],
    at: &HashMap<MessageId, usize>,
    id: MessageId,
    text: Option<&String>,
) {
    if let (Some(ModelMessage::Assistant { content, .. }), Some(text)) =
        (at.get(&id).and_then(|i| messages.get_mut(*i)), text)
    {
        content.clone_from(text);
    }
}

fn result_message(tool_use_id: ToolUseId, content: String, is_error: bool) -> ModelMessage {
    let content = if content.chars().count() > RESULT_CHARS {
        let cut: String = content.chars().take(RESULT_CHARS).collect();
        format!("{cut}\n… (output cut at {RESULT_CHARS} characters)")
    } else {
        content
    };
    ModelMessage::ToolResult { tool_call_id: tool_use_id.to_string(), content, is_error }
}

/// A tool's output as text for the model.
pub fn output_text(output: &ToolOutput) -> String {
    match output {
        ToolOutput::Text(text) => text.clone(),
        ToolOutput::Json(value) => value.to_string(),
        ToolOutput::Binary(bytes) => format!("({} bytes of binary output)", bytes.len()),
        ToolOutput::File { path, mime_type } => format!("(file {path}, {mime_type})"),
        ToolOutput::Empty => "(no output)".into(),
    }
}

#[cfg(test)]
mod tests {
    use coder_domain::*;

    use super::*;

    fn envelope(event: DomainEvent) -> EventEnvelope {
        NewEvent::new(event).into_envelope(1, StreamId::Thread(ThreadId::new()), 1)
    }

    #[test]
    fn deleted_messages_take_their_tool_results_with_them() {
        let thread_id = ThreadId::new();
        let (question, reply, kept) = (MessageId::new(), MessageId::new(), MessageId::new());
        let tool = ToolUseId::new();
        let at = Utc::now();
        let added = |message_id, role, content: &str| DomainEvent::MessageAdded {
            thread_id,
            message_id,
            content: content.into(),
            role,
            tool_uses: SmallVec::new(),
            timestamp: at,
        };
        let events: Vec<EventEnvelope> = [
            added(question, Role::User, "first question"),
            added(reply, Role::Assistant, "looking"),
            DomainEvent::ToolUseStarted {
                tool_use_id: tool,
                run_id: RunId::new(),
                message_id: reply,
                tool_name: "read_file".into(),
                input: serde_json::json!({"path": "a"}),
                timestamp: at,
            },
            DomainEvent::ToolUseComplete {
                tool_use_id: tool,
                result: ToolOutput::Text("x".into()),
                duration_ms: 1,
                timestamp: at,
            },
            added(kept, Role::User, "second question"),
            DomainEvent::MessageDeleted { thread_id, message_id: reply, timestamp: at },
            DomainEvent::MessageDeleted { thread_id, message_id: question, timestamp: at },
        ]
        .into_iter()
        .map(envelope)
        .collect();
        let conversation = from_events(&events);
        assert_eq!(conversation, [ModelMessage::User { content: "second question".into() }]);
    }
}
