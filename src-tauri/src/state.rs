//! What the app holds while it runs: the engine on the store in the data directory, and the
//! one agent on it, with the provider the settings name. Saving settings reconfigures that
//! agent: runs under way keep their runner and use the new settings from their next model call.

use std::path::{Path, PathBuf};

use coder_agent::settings::SETTINGS_FILE;
use coder_agent::{Agent, LiveEvent, Settings};
use coder_engine::Engine;
use tokio::sync::broadcast;

use crate::error::IpcError;

pub struct AppState {
    pub engine: Engine,
    pub data_dir: PathBuf,
    agent: Agent,
    /// The agent's live events, for every window listener.
    live: broadcast::Sender<LiveEvent>,
    /// True when no settings had been saved when the app started: the first start.
    pub first_start: bool,
}

impl AppState {
    /// Opens the store and starts the agent. Must be called inside the Tokio runtime.
    pub fn open(data_dir: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let engine = Engine::open(data_dir)?;
        let first_start = !data_dir.join(SETTINGS_FILE).exists();
        let settings = Settings::load(data_dir)?;
        let provider = coder_agent::settings::provider(&settings)?;
        let agent = Agent::new(engine.clone(), provider, settings);
        let (live, _) = broadcast::channel(8192);
        relay(&agent, &live);
        // Once the write model is loaded and recovery has ended what was under way, every open
        // run gets a runner again: one waiting for approval waits, an interrupted one goes on.
        let resumed = agent.clone();
        tauri::async_runtime::spawn_blocking(move || {
            resumed.engine().wait_until_ready();
            match resumed.resume_all() {
                Ok(runs) => tracing::info!(count = runs.len(), "open runs resumed"),
                Err(e) => tracing::error!(error = %e, "no run is carried on"),
            }
        });
        Ok(Self { engine, data_dir: data_dir.to_owned(), agent, live, first_start })
    }

    /// The agent (cheap to clone).
    pub fn agent(&self) -> Agent {
        self.agent.clone()
    }

    pub fn live(&self) -> broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }

    /// Saves new settings and gives them to the agent. A run under way keeps its one runner
    /// and uses them from its next model call on. Writes a file: call it off the main thread.
    pub fn replace_settings(data_dir: &Path, agent: &Agent, settings: Settings) -> Result<(), IpcError> {
        let provider = coder_agent::settings::provider(&settings)?;
        settings.save(data_dir)?;
        agent.reconfigure(provider, settings);
        Ok(())
    }

    /// The settings as saved (the defaults when none are). Reads a file: call it off the main
    /// thread.
    pub fn settings(data_dir: &Path) -> Settings {
        Settings::load(data_dir).unwrap_or_default()
    }
}

/// Forwards the agent's live events into the app's relay until the agent is gone.
fn relay(agent: &Agent, into: &broadcast::Sender<LiveEvent>) {
    let mut from = agent.live();
    let into = into.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match from.recv().await {
                // Nobody listening is fine: no thread is open.
                Ok(event) => drop(into.send(event)),
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "live events skipped; open threads reload from the log");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
