//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "coder", version, about = "Headless use of Coder's event store")]
pub struct Cli {
    /// The data directory (default: $CODER_DATA_DIR, else ~/.local/share/coder).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Events, last sequence, threads, runs, projects and bytes on disk.
    Stats,
    /// The thread list, most recently active first.
    Threads {
        /// List archived threads instead of active ones.
        #[arg(long)]
        archived: bool,
        /// Only threads whose title or last message contains this text.
        #[arg(long)]
        search: Option<String>,
    },
    /// One thread's chat, now or as it was right after a past sequence.
    Show {
        /// The thread id (a prefix of it is enough when unambiguous).
        thread: String,
        /// Show the thread as it was right after this sequence.
        #[arg(long, value_name = "SEQUENCE")]
        at: Option<u64>,
    },
    /// Write the whole log as JSON Lines (to standard output without --out).
    Export {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Read an export into an empty store.
    Import { file: PathBuf },
    /// Check every invariant of the store; exit 1 with a report when one fails.
    Verify,
    /// Ask the agent something about a project folder, headless.
    Run {
        /// The project folder (added to Coder if it is new).
        #[arg(long, value_name = "DIR")]
        project: PathBuf,
        /// Continue this thread instead of starting a new one.
        #[arg(long, value_name = "ID")]
        thread: Option<String>,
        #[command(flatten)]
        agent: AgentArgs,
        /// What to ask.
        message: String,
    },
    /// What the app does at start: end what was under way when Coder stopped (it is never run
    /// again), then carry on the runs that wait for approval or were interrupted — all of them,
    /// or only RUN — asking on the terminal like `coder run`.
    Resume {
        /// The run id; without it, every open run.
        run: Option<String>,
        #[command(flatten)]
        agent: AgentArgs,
    },
    /// Show the file changes of a run as diffs.
    Diff { run: String },
    /// Revert every file change of a run (a new change; history stays).
    Revert {
        run: String,
        /// Revert even files that changed since the run changed them.
        #[arg(long)]
        force: bool,
    },
    /// Measure the store and the engine against a plain SQLite event table, in one run.
    Bench {
        /// 1.0 = the full sizes (a 1,000,000-event store, a 100,000-message thread; minutes);
        /// smaller values shrink every workload.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Where to build the stores (default: a temporary folder in the data directory).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
    /// API keys in the system keyring (Secret Service, Keychain, Credential Manager). A
    /// provider's environment variable, when set, wins over the keyring.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Permission rules: which tool calls run without asking (allow), always wait for you (ask)
    /// or are refused (deny). A project's rules are in its log; global ones in settings.json,
    /// which a running app reads when it starts.
    Rule {
        #[command(subcommand)]
        action: RuleAction,
    },
    /// Append a synthetic conversation workload, printing `acked <sequence>` as each event is durable.
    Stress {
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        #[arg(long, default_value_t = 4)]
        producers: u64,
    },
}

/// The model and the approvals of `coder run` and `coder resume`.
#[derive(clap::Args, Clone)]
pub struct AgentArgs {
    /// The model provider (default: settings.json in the data directory, else the demo).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Approve these kinds of tool calls without asking: read, write, command.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub approve: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProviderArg {
    /// Any OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM, OpenAI, OpenRouter).
    Openai,
    Anthropic,
    /// The scripted offline demo.
    Demo,
}

/// What `coder key` does.
#[derive(Subcommand)]
pub enum KeyAction {
    /// Save PROVIDER's API key in the keyring, read as one line from standard input.
    Set { provider: KeyProviderArg },
    /// Delete PROVIDER's API key from the keyring.
    Delete { provider: KeyProviderArg },
    /// Where each provider's key comes from: the environment, the keyring, or nowhere.
    Status,
}

/// A provider that takes an API key.
#[derive(Clone, Copy, ValueEnum)]
pub enum KeyProviderArg {
    Openai,
    Anthropic,
}

/// What `coder rule` does.
#[derive(Subcommand)]
pub enum RuleAction {
    /// Add a rule. TOOL is a tool's name (run_command, write_file, edit_file, read_file,
    /// list_files, search) or `*`. PATTERN, for a command: `cargo test*` (a wildcard) or
    /// `git status` (those words and any after them); for a file: path globs from the project
    /// root, `src/**`, `*.rs`, `!.env` to leave a path out. A chain (`a && b`, `a | b`, `$(…)`)
    /// is allowed only when every command in it is; deny wins over ask, ask over allow.
    Add {
        #[command(flatten)]
        scope: RuleScopeArgs,
        effect: EffectArg,
        tool: String,
        #[arg(allow_hyphen_values = true)]
        pattern: String,
    },
    /// List the project's rules and the global ones.
    List {
        #[command(flatten)]
        scope: RuleScopeArgs,
    },
    /// Remove a rule, given as it was added.
    Remove {
        #[command(flatten)]
        scope: RuleScopeArgs,
        effect: EffectArg,
        tool: String,
        #[arg(allow_hyphen_values = true)]
        pattern: String,
    },
}

/// Whose rules: a project's (default: the current folder's) or the global ones.
#[derive(clap::Args)]
#[group(multiple = false)]
pub struct RuleScopeArgs {
    /// The project folder whose rules these are.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The rules of every project, in settings.json.
    #[arg(long)]
    pub global: bool,
}

/// What a rule does to the calls it matches.
#[derive(Clone, Copy, ValueEnum)]
pub enum EffectArg {
    /// Run without asking.
    Allow,
    /// Wait for your approval, even a read.
    Ask,
    /// Refuse; Coder is told which rule refused.
    Deny,
}
