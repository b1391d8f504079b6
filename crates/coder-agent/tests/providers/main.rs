//! The providers against a real HTTP server on loopback that plays scripted responses
//! (`coder_agent::testing::ScriptServer`), and the scripted provider.

mod anthropic;
mod bounds;
mod images;
mod keys;
mod openai;
mod scripted;
mod support;
