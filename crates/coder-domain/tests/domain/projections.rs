//! Projections folded from events that `decide` produced.

use coder_domain::*;

use crate::support::*;

/// Replays a scenario's history into a fresh chat view, collecting the changes.
fn chat(s: &Scenario, thread: ThreadId) -> (ChatView, Vec<ChatChange>) {
    let mut view = ChatView::new(thread);
    let changes = s.history.iter().filter_map(|e| view.apply(e)).collect();
    (view, changes)
}

fn tool_view(view: &ChatView, id: ToolUseId) -> &ToolUseView {
    match &view.entries[view.tool_use_index(id).expect("tool entry")] {
        ChatEntry::ToolUse(t) => t,
        ChatEntry::Message(_) => panic!("not a tool entry"),
    }
}

#[test]
fn chat_view_reports_splice_changes() {
    let w = World::new();
    let mut s = w.scenario();
    s.run(Command::StreamText { thread_id: w.thread, message_id: w.reply, delta: "Look".into() });
    s.run(Command::StreamText { thread_id: w.thread, message_id: w.reply, delta: "ing".into() });
    let (view, changes) = chat(&s, w.thread);
    assert_eq!(
        changes,
        [
            ChatChange::EntryAdded { index: 0 },
            ChatChange::EntryAdded { index: 1 },
            ChatChange::EntryUpdated { index: 1 },
            ChatChange::EntryUpdated { index: 1 },
        ]
    );
    assert_eq!(view.streaming_message, Some((w.reply, "Looking".into())), "streamed text is cumulative");
    assert_eq!(view.message_text(w.reply), Some("Looking"));

    s.run(Command::CompleteMessage {
        thread_id: w.thread,
        message_id: w.reply,
        final_content: "Looking.".into(),
    });
    s.run(Command::DeleteMessage { thread_id: w.thread, message_id: w.user_message });
    let (view, changes) = chat(&s, w.thread);
    assert_eq!(changes[changes.len() - 1], ChatChange::EntriesRemoved { start: 0, end: 1 });
    assert_eq!(view.entries.len(), 1);
    assert_eq!(view.message_index(w.reply), Some(0), "indexes follow a removal");
    assert_eq!(view.message_count, 1);
    assert_eq!(view.streaming_message, None);
}

#[test]
fn chat_view_follows_a_tool_through_approval() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let (view, _) = chat(&s, w.thread);
    let card = tool_view(&view, tool);
    assert_eq!(card.status, ToolStatus::Pending);
    assert!(card.awaiting_approval, "the card shows that it waits");
    assert_eq!(card.step_id, Some(step));
    assert_eq!(card.input_summary, "src/lib.rs");

    s.run(Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person });
    s.run(Command::ReportToolProgress { tool_use_id: tool, progress: 0.5, status_message: "writing".into() });
    let (view, _) = chat(&s, w.thread);
    let card = tool_view(&view, tool);
    assert_eq!(
        (card.status, card.awaiting_approval, card.decision),
        (ToolStatus::Running, false, Some(Verdict::Approved))
    );
    assert_eq!(card.progress, Some(0.5));

    s.run(Command::CompleteToolUse {
        tool_use_id: tool,
        result: ToolOutput::Text("wrote 3 lines".into()),
        duration_ms: 7,
    });
    let (view, _) = chat(&s, w.thread);
    let card = tool_view(&view, tool);
    assert_eq!(card.status, ToolStatus::Success);
    assert_eq!(card.output_summary.as_deref(), Some("wrote 3 lines"));
    assert_eq!(card.duration_ms, Some(7));
    let ChatEntry::Message(reply) = &view.entries[view.message_index(w.reply).unwrap()] else { panic!() };
    assert_eq!(reply.tool_uses, [tool], "the message lists its tool uses");
}

#[test]
fn chat_view_shows_failures_and_cancellations() {
    let w = World::new();
    let mut s = w.scenario();
    let (_, failed) = w.tool_call(&mut s, "run_command", pre_approved());
    s.run(Command::FailToolUse { tool_use_id: failed, error: "exit status 2".into() });
    let (step, rejected) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    s.run(Command::RejectStep { run_id: w.run, step_id: step, by: Approver::Person, reason: None });
    let (_, cancelled) = w.tool_call(&mut s, "run_command", pre_approved());
    s.run(Command::CancelRun { run_id: w.run });
    let (view, _) = chat(&s, w.thread);
    assert_eq!(tool_view(&view, failed).status, ToolStatus::Failed);
    assert_eq!(tool_view(&view, failed).error.as_deref(), Some("exit status 2"));
    let card = tool_view(&view, rejected);
    assert_eq!((card.status, card.decision), (ToolStatus::Cancelled, Some(Verdict::Rejected)));
    assert_eq!(tool_view(&view, cancelled).status, ToolStatus::Cancelled);
}

#[test]
fn chat_view_ignores_other_threads() {
    let w = World::new();
    let s = w.scenario();
    let (view, changes) = chat(&s, ThreadId::new());
    assert!(view.entries.is_empty() && changes.is_empty());
}

#[test]
fn interrupted_completion_is_marked_from_the_envelope() {
    let w = World::new();
    let mut s = w.scenario();
    s.run(Command::StreamText { thread_id: w.thread, message_id: w.reply, delta: "partial".into() });
    let mut view = ChatView::new(w.thread);
    for e in &s.history {
        view.apply(e);
    }
    let complete = DomainEvent::MessageComplete {
        thread_id: w.thread,
        message_id: w.reply,
        final_content: "partial".into(),
        timestamp: now(),
    };
    let envelope = NewEvent::new(complete).interrupted().into_envelope(99, StreamId::Thread(w.thread), 9);
    view.apply_stored(&envelope);
    let ChatEntry::Message(m) = &view.entries[view.message_index(w.reply).unwrap()] else { panic!() };
    assert!(m.interrupted && !m.streaming);
    assert_eq!(m.content, "partial");
}

#[test]
fn visible_entries_clamp_to_the_list() {
    let w = World::new();
    let (view, _) = chat(&w.scenario(), w.thread);
    assert_eq!(view.visible_entries(0, 10).len(), 2);
    assert_eq!(view.visible_entries(1, 10).len(), 1);
    assert!(view.visible_entries(5, 10).is_empty());
    assert_eq!(view.visible_entries(0, usize::MAX).len(), 2);
}

#[test]
fn thread_list_orders_filters_and_counts_unread() {
    let mut s = given([]);
    let project = ProjectId::new();
    s.run(Command::CreateProject { project_id: project, name: "p".into(), path: "/p".into() });
    let mut threads = Vec::new();
    for (i, title) in ["Alpha release", "Beta bugs", "Gamma docs"].iter().enumerate() {
        let id = ThreadId::new();
        let project_id = (i == 0).then_some(project);
        s.run(Command::CreateThread { thread_id: id, title: (*title).into(), project_id });
        threads.push(id);
    }
    let later = |e: &DomainEvent, minutes: i64| -> DomainEvent {
        // Timestamps come from the fixed clock; shift them so ordering is observable.
        let mut v = serde_json::to_value(e).unwrap();
        let ts = now() + chrono::Duration::minutes(minutes);
        v["timestamp"] = serde_json::to_value(ts).unwrap();
        serde_json::from_value(v).unwrap()
    };
    let mut list = ThreadList::new();
    for e in &s.history {
        list.apply(e);
    }
    // Activity in Alpha after the others makes it first.
    let msg = MessageId::new();
    let events = s.run(Command::StartAssistantMessage { thread_id: threads[0], message_id: msg });
    list.apply(&later(&events[0], 5));
    let events = s.run(Command::CompleteMessage {
        thread_id: threads[0],
        message_id: msg,
        final_content: "Shipped v1".into(),
    });
    assert_eq!(list.apply(&later(&events[0], 6)), Some(threads[0]), "the summary changed");

    let all = list.list(&ThreadFilter::default());
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, threads[0], "most recent activity first");
    assert_eq!(all[0].unread_count, 1, "the assistant's reply is unread");
    assert_eq!(all[0].last_message_preview, "Shipped v1");

    let events = s.run(Command::MarkThreadRead { thread_id: threads[0] });
    list.apply(&later(&events[0], 7));
    assert_eq!(list.get(threads[0]).unwrap().unread_count, 0);
    assert_eq!(list.list(&ThreadFilter::default())[0].id, threads[0], "reading does not reorder");

    let events = s.run(Command::ArchiveThread { thread_id: threads[1] });
    list.apply(&later(&events[0], 8));
    let active = list.list(&ThreadFilter::default());
    assert_eq!(active.len(), 2);
    let archived = list.list(&ThreadFilter { archived: true, ..Default::default() });
    assert_eq!(archived.iter().map(|t| t.id).collect::<Vec<_>>(), [threads[1]]);

    let of_project = list.list(&ThreadFilter { project_id: Some(project), ..Default::default() });
    assert_eq!(of_project.len(), 1);
    let found = list.list(&ThreadFilter { query: Some("SHIPPED".into()), ..Default::default() });
    assert_eq!(
        found.iter().map(|t| t.id).collect::<Vec<_>>(),
        [threads[0]],
        "search covers previews, any case"
    );
    assert_eq!(list.search("bugs").len(), 1, "search also finds archived threads");
    assert_eq!(list.search("").len(), 3);
}

#[test]
fn run_view_tracks_steps_cost_and_pending_approvals() {
    let w = World::new();
    let mut s = w.scenario();
    let model = StepId::new();
    s.run(Command::StartStep {
        run_id: w.run,
        step_id: model,
        step_type: StepType::ModelCall,
        description: "m".into(),
    });
    let c = Cost { input_tokens: 100, output_tokens: 50, total_tokens: 150, usd_cents: 2 };
    s.run(Command::CompleteStep {
        run_id: w.run,
        step_id: model,
        result: StepResult::Success,
        cost: Some(c),
    });
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let mut view = RunView::new(w.run);
    for e in &s.history {
        view.apply(e);
    }
    let run = view.run.as_ref().unwrap();
    assert_eq!(run.status, RunStatus::WaitingForApproval);
    assert_eq!(run.cost, c);
    let pending = view.pending_approvals();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0.id, step);
    assert_eq!(
        pending[0].1.map(|t| t.input.clone()),
        Some(serde_json::json!({"path": "src/lib.rs"})),
        "what it will do"
    );

    for e in s.run(Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person }) {
        view.apply(&e);
    }
    assert_eq!(view.tool_use(tool).unwrap().status, ToolStatus::Running);
    for e in s.run(Command::FinishRun { run_id: w.run, status: RunStatus::Failed, cost: c, duration_ms: 900 })
    {
        view.apply(&e);
    }
    let run = view.run.as_ref().unwrap();
    assert_eq!((run.status, run.duration_ms), (RunStatus::Failed, Some(900)));
    assert!(view.pending_approvals().is_empty());
}

#[test]
fn project_files_newest_first_and_per_run() {
    let w = World::new();
    let mut s = w.scenario();
    let other_run = RunId::new();
    s.run(Command::StartRun { run_id: other_run, thread_id: w.thread, agent_name: "coder".into() });
    let h = |b: &[u8]| ContentHash::of(b);
    let mut seq = 0;
    let mut files = ProjectFiles::new(w.project);
    let mut record = |s: &mut Scenario, path: &str, change_type, run_id| {
        for e in
            s.run(Command::RecordFileChange { project_id: w.project, path: path.into(), change_type, run_id })
        {
            seq += 1;
            files.apply_envelope(&NewEvent::new(e).into_envelope(seq, StreamId::Project(w.project), seq));
        }
    };
    record(&mut s, "a.txt", FileChangeType::Created { after: h(b"1") }, Some(w.run));
    record(&mut s, "b.txt", FileChangeType::Created { after: h(b"2") }, Some(other_run));
    record(&mut s, "a.txt", FileChangeType::Modified { before: h(b"1"), after: h(b"3") }, Some(w.run));
    record(&mut s, "c.txt", FileChangeType::Created { after: h(b"4") }, None);
    let paths: Vec<_> = files.newest_first().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["c.txt", "a.txt", "b.txt", "a.txt"]);
    let of_run: Vec<_> = files.of_run(w.run).map(|c| c.sequence).collect();
    assert_eq!(of_run, [3, 1]);
    assert_eq!(files.at_sequence(2).unwrap().path, "b.txt");
}

#[test]
fn correlation_view_keeps_one_correlation_in_order() {
    let correlation = uuid::Uuid::now_v7();
    let w = World::new();
    let s = w.scenario();
    let mut view = CorrelationView::new(correlation);
    for (i, e) in s.history.iter().enumerate() {
        let new = NewEvent::new(e.clone());
        let new = if i % 2 == 0 { new.correlated(correlation) } else { new };
        view.apply_envelope(&new.into_envelope(i as u64 + 1, StreamId::Thread(w.thread), 1));
    }
    let seqs: Vec<_> = view.events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, [1, 3, 5]);
}
