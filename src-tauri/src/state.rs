//! What the app holds while it runs: the engine on the store in the data directory, and the
//! agent with the provider the settings name. The agent is replaced when the settings change;
//! its live events reach the window through one relay that outlives any one agent.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use coder_agent::settings::SETTINGS_FILE;
use coder_agent::{Agent, LiveEvent, Settings};
use coder_domain::RunStatus;
use coder_engine::Engine;
use tokio::sync::broadcast;

use crate::error::{ErrorCode, IpcError};

pub struct AppState {
    pub engine: Engine,
    pub data_dir: PathBuf,
    agent: RwLock<Agent>,
    /// Every live event of every agent this app has had.
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
        // Runs left waiting for approval get a runner again once the write model is loaded, so
        // an approval given after a restart carries them on.
        let resumed = agent.clone();
        tauri::async_runtime::spawn_blocking(move || {
            resumed.engine().wait_until_ready();
            let count = resumed.resume_waiting();
            tracing::info!(count, "runs waiting for approval resumed");
        });
        Ok(Self { engine, data_dir: data_dir.to_owned(), agent: RwLock::new(agent), live, first_start })
    }

    /// The agent now (cheap to clone; a replaced agent finishes what it was doing).
    pub fn agent(&self) -> Agent {
        self.agent.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn live(&self) -> broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }

    /// Saves new settings and starts an agent with them. Refused while a run is running, since
    /// its runner belongs to the agent being replaced.
    pub fn replace_settings(&self, settings: Settings) -> Result<(), IpcError> {
        let running = self.engine.with_state(|s| s.runs.values().any(|r| r.status == RunStatus::Running));
        if running {
            return Err(IpcError::new(
                ErrorCode::Busy,
                "a run is still running; wait for it or cancel it, then save the settings",
            ));
        }
        let provider = coder_agent::settings::provider(&settings)?;
        settings.save(&self.data_dir)?;
        let agent = Agent::new(self.engine.clone(), provider, settings);
        relay(&agent, &self.live);
        *self.agent.write().unwrap_or_else(|e| e.into_inner()) = agent;
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        Settings::load(&self.data_dir).unwrap_or_default()
    }
}

/// Forwards one agent's live events into the app's relay until that agent is gone.
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
