//! The conversation sent to the model, rebuilt from the thread's events — so a run resumed after
//! a restart asks the model exactly what an uninterrupted run would have.
//!
//! Messages become user and assistant turns; the tool uses an assistant message started become
//! its tool calls (their ids are our tool-use ids), and each tool use's end becomes a tool result:
//! the output on success, the error on failure, and a plain statement on a rejection or a
//! cancellation, so the model knows what the person decided.
//!
//! A thread that has been summarized (`ThreadCompacted`) is sent as its newest summary, in a
//! first user message, followed by what came after the summary's `through` message. The tool
//! results of calls made by `through` or a message before it are left out with their calls, so
//! the model never gets a call without its result nor a result without its call.

use std::collections::{HashMap, HashSet};

use coder_domain::{Approver, DomainEvent, EventEnvelope, MessageId, Role, ToolOutput, ToolUseId, Verdict};

use crate::provider::{ImagePart, ModelMessage, ToolCall};

/// Characters of a tool result sent back to the model at most; a small context window sends
/// fewer (`History::cap_results`).
pub const RESULT_CHARS: usize = 32 * 1024;
/// How the message carrying a summary begins.
pub const SUMMARY_PREFIX: &str = "Summary of the earlier conversation:";

/// The model's view of a thread, from its events in sequence order.
pub fn from_events(events: &[EventEnvelope]) -> Vec<ModelMessage> {
    History::from_events(events).conversation()
}

/// A thread's whole conversation as the model would see it without a summary, each model
/// message with the thread message it belongs to, and the thread's newest summary.
///
/// Positions order the thread's messages: a message's position is greater than those of the
/// messages before it.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Model messages in order, deleted ones left out.
    items: Vec<Item>,
    /// The thread's user and assistant messages in order, deleted ones left out.
    messages: Vec<Placed>,
    summary: Option<Summary>,
}

/// One model message and the position of the thread message it belongs to: a user or
/// assistant message belongs to itself, a tool result to the message that made the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub message: ModelMessage,
    pub owner: usize,
}

/// A user or assistant message of the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub id: MessageId,
    pub position: usize,
    /// Complete, and every tool use it started has ended: a summary may stand for it and
    /// everything before it without parting a call from its result.
    pub settled: bool,
}

/// The newest `ThreadCompacted` of the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub through: MessageId,
    /// `through`'s position.
    pub position: usize,
    pub text: String,
}

impl History {
    pub fn from_events(events: &[EventEnvelope]) -> Self {
        let mut messages: Vec<ModelMessage> = Vec::new();
        // For each model message, the message it belongs to (see `Item`).
        let mut owners: Vec<Option<MessageId>> = Vec::new();
        // Assistant message → its index in `messages`.
        let mut assistant_at: HashMap<MessageId, usize> = HashMap::new();
        // Every message → its index; each tool use → its message and its result's index.
        let mut message_at: HashMap<MessageId, usize> = HashMap::new();
        let mut tool_message: HashMap<ToolUseId, MessageId> = HashMap::new();
        let mut text: HashMap<MessageId, String> = HashMap::new();
        let mut rejected: HashMap<ToolUseId, (Approver, Option<String>)> = HashMap::new();
        let mut step_tool: HashMap<coder_domain::StepId, ToolUseId> = HashMap::new();
        let mut deleted: Vec<MessageId> = Vec::new();
        let mut streaming: HashSet<MessageId> = HashSet::new();
        let mut open_tools: HashSet<ToolUseId> = HashSet::new();
        let mut summary: Option<(MessageId, String)> = None;
        for envelope in events {
            match &envelope.event {
                DomainEvent::MessageAdded { message_id, content, role, .. } => match role {
                    Role::User => {
                        message_at.insert(*message_id, messages.len());
                        messages.push(ModelMessage::User { content: content.clone() });
                        owners.push(Some(*message_id));
                    }
                    Role::Assistant => {
                        assistant_at.insert(*message_id, messages.len());
                        message_at.insert(*message_id, messages.len());
                        text.insert(*message_id, content.clone());
                        if content.is_empty() {
                            streaming.insert(*message_id);
                        }
                        messages.push(ModelMessage::Assistant {
                            content: content.clone(),
                            tool_calls: Vec::new(),
                        });
                        owners.push(Some(*message_id));
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
                    streaming.remove(message_id);
                    text.insert(*message_id, final_content.clone());
                    set_text(&mut messages, &assistant_at, *message_id, text.get(message_id));
                }
                DomainEvent::MessageDeleted { message_id, .. } => deleted.push(*message_id),
                // A file's text joins its message's text as a delimited block; an image follows
                // the message as a part of the same user turn. The image's index is kept as a
                // result of the message is, so deleting the message removes it too.
                DomainEvent::MessageAttached { message_id, attachment, .. } => match attachment {
                    coder_domain::Attachment::File { path, content, truncated } => {
                        if let Some(ModelMessage::User { content: text }) =
                            message_at.get(message_id).and_then(|i| messages.get_mut(*i))
                        {
                            if !text.is_empty() {
                                text.push_str("\n\n");
                            }
                            text.push_str(&crate::attachments::file_block(path, content, *truncated));
                        }
                    }
                    coder_domain::Attachment::Image { blob, mime_type, .. } => {
                        if message_at.contains_key(message_id) {
                            let image =
                                ImagePart { mime_type: mime_type.clone(), blob: *blob, data: String::new() };
                            messages.push(ModelMessage::UserImage { image });
                            owners.push(Some(*message_id));
                        }
                    }
                },
                DomainEvent::ThreadCompacted { through, summary: written, .. } => {
                    summary = Some((*through, written.clone()));
                }
                DomainEvent::ToolUseStarted { tool_use_id, message_id, tool_name, input, .. } => {
                    tool_message.insert(*tool_use_id, *message_id);
                    open_tools.insert(*tool_use_id);
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
                        rejected.insert(*tool, (decision.by.clone(), decision.reason.clone()));
                    }
                }
                DomainEvent::ToolUseComplete { tool_use_id, result, .. } => {
                    open_tools.remove(tool_use_id);
                    messages.push(result_message(*tool_use_id, output_text(result), false));
                    owners.push(tool_message.get(tool_use_id).copied());
                }
                DomainEvent::ToolUseFailed { tool_use_id, error, .. } => {
                    open_tools.remove(tool_use_id);
                    messages.push(result_message(*tool_use_id, format!("Error: {error}"), true));
                    owners.push(tool_message.get(tool_use_id).copied());
                }
                DomainEvent::ToolUseCancelled { tool_use_id, .. } => {
                    open_tools.remove(tool_use_id);
                    let content = match rejected.get(tool_use_id) {
                        Some((Approver::Policy { .. }, Some(reason))) => {
                            format!("This tool call was not run: the person's permission rules refuse it ({reason}).")
                        }
                        Some((Approver::Policy { rule }, None)) => {
                            format!(
                                "This tool call was not run: the person's permission rule {rule} refuses it."
                            )
                        }
                        Some((Approver::Person, Some(reason))) => {
                            format!("The person rejected this tool call: {reason}")
                        }
                        Some((Approver::Person, None)) => {
                            "The person rejected this tool call; it was not run.".to_string()
                        }
                        None => "This tool call was cancelled and did not finish.".to_string(),
                    };
                    messages.push(result_message(*tool_use_id, content, true));
                    owners.push(tool_message.get(tool_use_id).copied());
                }
                _ => {}
            }
        }
        // A deleted message is left out, as the person removed it from the conversation, and so
        // are the results of its tool calls: a result whose call is gone would be refused by the
        // provider.
        // Every model message has its owner (a result's is its call's message, an image's its
        // message), so what a deleted message owned goes with it.
        let deleted_at: HashSet<usize> = owners
            .iter()
            .enumerate()
            .filter(|(_, owner)| owner.is_some_and(|m| deleted.contains(&m)))
            .map(|(i, _)| i)
            .collect();
        let unsettled: HashSet<MessageId> =
            open_tools.iter().filter_map(|tool| tool_message.get(tool).copied()).chain(streaming).collect();
        let mut placed: Vec<Placed> = message_at
            .iter()
            .filter(|(_, at)| !deleted_at.contains(at))
            .map(|(id, at)| Placed { id: *id, position: *at, settled: !unsettled.contains(id) })
            .collect();
        placed.sort_by_key(|p| p.position);
        // A result whose call's message is unknown goes with the message before it.
        let mut previous = 0;
        let items = messages
            .into_iter()
            .enumerate()
            .map(|(i, message)| {
                let owner = owners
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|m| message_at.get(&m).copied())
                    .unwrap_or(previous);
                previous = owner.max(previous);
                (i, Item { message, owner })
            })
            .filter(|(i, _)| !deleted_at.contains(i))
            .map(|(_, item)| item)
            .collect();
        let summary = summary.and_then(|(through, text)| {
            message_at.get(&through).map(|position| Summary { through, position: *position, text })
        });
        Self { items, messages: placed, summary }
    }

    /// Cuts every tool result longer than `chars` characters to its beginning and its end (where
    /// a command's errors usually are), saying how much was left out: a model with a small
    /// window is sent what fits it rather than nothing.
    pub fn cap_results(&mut self, chars: usize) {
        for item in &mut self.items {
            if let ModelMessage::ToolResult { content, .. } = &mut item.message {
                if let Some(cut) = cut_middle(content, chars) {
                    *content = cut;
                }
            }
        }
    }

    /// What the model is sent: the newest summary, then everything after it.
    pub fn conversation(&self) -> Vec<ModelMessage> {
        let after = self.summary.as_ref().map(|s| s.position);
        let summary = self.summary.as_ref().map(|s| summary_message(&s.text));
        summary.into_iter().chain(self.items_after(after).cloned()).collect()
    }

    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// The thread's user and assistant messages, in order.
    pub fn messages(&self) -> &[Placed] {
        &self.messages
    }

    /// The model messages of the thread messages after position `after` (all when `None`).
    pub fn items_after(&self, after: Option<usize>) -> impl Iterator<Item = &ModelMessage> + '_ {
        self.items.iter().filter(move |i| after.is_none_or(|a| i.owner > a)).map(|i| &i.message)
    }

    /// Every model message with its owner's position.
    pub fn items(&self) -> &[Item] {
        &self.items
    }
}

/// The user message that carries a summary to the model.
pub fn summary_message(summary: &str) -> ModelMessage {
    ModelMessage::User { content: format!("{SUMMARY_PREFIX}\n\n{summary}") }
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
    let content = cut_middle(&content, RESULT_CHARS).unwrap_or(content);
    ModelMessage::ToolResult { tool_call_id: tool_use_id.to_string(), content, is_error }
}

/// `text` cut to about `chars` characters — its first two thirds and its last third, with a note
/// of what was left out between — or `None` when it is no longer than that.
fn cut_middle(text: &str, chars: usize) -> Option<String> {
    let count = text.chars().count();
    if count <= chars {
        return None;
    }
    let head = chars * 2 / 3;
    let tail = chars - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    Some(format!("{start}\n… ({} characters of output left out) …\n{end}", count - head - tail))
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
    fn a_long_result_keeps_its_beginning_and_its_end() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let cut = cut_middle(&text, 300).expect("longer than 300 characters");
        assert!(cut.starts_with("line 0\n"), "{cut}");
        assert!(cut.ends_with("line 999\n"), "the end, where errors are, is kept: {cut}");
        assert!(cut.contains("characters of output left out"), "{cut}");
        assert!(cut.chars().count() < 400, "about the cap: {}", cut.chars().count());
        assert_eq!(cut_middle("short", 300), None);
        let wide = "é".repeat(500);
        assert!(
            cut_middle(&wide, 100).is_some_and(|c| c.starts_with('é') && c.ends_with('é')),
            "cut on characters"
        );
    }

    #[test]
    fn a_call_a_rule_refused_is_told_to_the_model_as_the_rules_refusal() {
        let thread_id = ThreadId::new();
        let (reply, step) = (MessageId::new(), StepId::new());
        let (tool, run) = (ToolUseId::new(), RunId::new());
        let at = Utc::now();
        let events: Vec<EventEnvelope> = [
            DomainEvent::MessageAdded {
                thread_id,
                message_id: reply,
                content: "cleaning".into(),
                role: Role::Assistant,
                tool_uses: SmallVec::new(),
                timestamp: at,
            },
            DomainEvent::RunStepStarted {
                run_id: run,
                step_id: step,
                step_type: StepType::ToolCall {
                    tool_use_id: tool,
                    tool_name: "run_command".into(),
                    gate: ApprovalGate::NeedsApproval,
                },
                description: "Run `rm -rf build`".into(),
                timestamp: at,
            },
            DomainEvent::ToolUseStarted {
                tool_use_id: tool,
                run_id: run,
                message_id: reply,
                tool_name: "run_command".into(),
                input: serde_json::json!({"command": "rm -rf build"}),
                timestamp: at,
            },
            DomainEvent::RunStepUpdated {
                run_id: run,
                step_id: step,
                status: StepStatus::Skipped,
                progress: None,
                timestamp: at,
                decision: Some(ApprovalDecision {
                    verdict: Verdict::Rejected,
                    by: Approver::Policy { rule: "rm *".into() },
                    reason: Some("denied by rule `rm *` (global)".into()),
                }),
            },
            DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: at },
        ]
        .into_iter()
        .map(envelope)
        .collect();
        let conversation = from_events(&events);
        let Some(ModelMessage::ToolResult { content, is_error: true, .. }) = conversation.last() else {
            panic!("the call has its result: {conversation:?}");
        };
        assert!(content.contains("permission rules refuse it"), "{content}");
        assert!(!content.contains("The person rejected"), "no person decided: {content}");
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

#[cfg(test)]
mod summary_tests {
    use super::*;
    use crate::context::script::{assert_paired, Script};

    fn user(content: &str) -> ModelMessage {
        ModelMessage::User { content: content.into() }
    }

    #[test]
    fn a_summary_stands_for_its_message_and_everything_before() {
        let mut s = Script::new();
        s.turn(0, "zero");
        let (_, through) = s.turn(1, "one");
        s.turn(2, "two");
        s.compacted(through, "they read src/0.rs and src/1.rs");
        let sent = from_events(&s.events);
        assert_eq!(sent[0], user("Summary of the earlier conversation:\n\nthey read src/0.rs and src/1.rs"));
        assert_eq!(sent[1], user("question 2"), "what came after the summary follows it");
        assert_eq!(sent.len(), 1 + 4, "the third turn only: question, call, result, answer");
        assert!(!sent.iter().any(|m| matches!(m, ModelMessage::User { content } if content == "question 1")));
        assert_paired(&sent);
    }

    #[test]
    fn deleting_the_summarized_message_keeps_the_summary() {
        let mut s = Script::new();
        let (_, through) = s.turn(0, "zero");
        let later = s.user("later");
        s.compacted(through, "summary");
        s.deleted(through);
        assert_eq!(
            from_events(&s.events),
            [user("Summary of the earlier conversation:\n\nsummary"), user("later")]
        );
        s.deleted(later);
        assert_eq!(from_events(&s.events), [user("Summary of the earlier conversation:\n\nsummary")]);
    }

    #[test]
    fn the_newest_summary_wins() {
        let mut s = Script::new();
        let (_, first) = s.turn(0, "zero");
        let (_, second) = s.turn(1, "one");
        s.compacted(first, "old summary");
        s.compacted(second, "new summary");
        let sent = from_events(&s.events);
        assert_eq!(sent, [user("Summary of the earlier conversation:\n\nnew summary")]);
    }

    #[test]
    fn a_result_whose_call_was_summarized_goes_with_it() {
        // The person wrote while a call of the assistant's was still running; its result came
        // after their message. A summary through their message stands for the call, so the
        // result must not be sent alone.
        let mut s = Script::new();
        s.user("question");
        let reading = s.assistant("reading");
        let tool = s.call(reading, "a.rs");
        let interjection = s.user("also look at b.rs");
        s.result(tool, "text of a.rs");
        let answer = s.assistant("done");
        s.compacted(interjection, "summary");
        let history = History::from_events(&s.events);
        let sent = history.conversation();
        assert_eq!(
            sent,
            [
                user("Summary of the earlier conversation:\n\nsummary"),
                ModelMessage::Assistant { content: "done".into(), tool_calls: vec![] }
            ]
        );
        assert_paired(&sent);
        let placed: Vec<(MessageId, bool)> = history.messages().iter().map(|m| (m.id, m.settled)).collect();
        assert!(placed.contains(&(answer, true)) && placed.contains(&(reading, true)));
    }

    #[test]
    fn a_message_is_settled_once_complete_with_all_its_calls_ended() {
        let mut s = Script::new();
        s.user("question");
        let streaming = s.streaming();
        let settled = |s: &Script, id| {
            History::from_events(&s.events).messages().iter().find(|m| m.id == id).unwrap().settled
        };
        assert!(!settled(&s, streaming), "a message being written is not settled");
        s.complete(streaming, "reading");
        let tool = s.call(streaming, "a.rs");
        assert!(!settled(&s, streaming), "a message whose call runs is not settled");
        s.result(tool, "text");
        assert!(settled(&s, streaming));
        // Without a summary, the conversation is the thread as it is.
        assert_paired(&from_events(&s.events));
    }
}
