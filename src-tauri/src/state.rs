//! What the app holds while it runs: the engine on the store in the data directory, and the
//! agent with the provider the settings name.

use std::path::Path;

use coder_agent::{Agent, Settings};
use coder_engine::Engine;

pub struct AppState {
    pub engine: Engine,
    pub agent: Agent,
}

impl AppState {
    pub fn open(data_dir: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let engine = Engine::open(data_dir)?;
        let settings = Settings::load(data_dir)?;
        let provider = coder_agent::settings::provider(&settings)?;
        let agent = Agent::new(engine.clone(), provider, settings);
        Ok(Self { engine, agent })
    }
}
