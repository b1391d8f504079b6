/** The first start: try Coder offline, or connect a model. */
export function Welcome({ onDemo, onSetUp }: { onDemo: () => void; onSetUp: () => void }) {
  return (
    <section className="welcome" aria-label="Welcome">
      <h2>Welcome to Coder</h2>
      <p>
        Chat with an AI agent about a project folder, watch what it does, approve each command and change, and
        undo any of it later. Everything is kept on this computer.
      </p>
      <div className="buttons">
        <button type="button" className="primary" onClick={onDemo}>
          Try the offline demo
        </button>
        <button type="button" onClick={onSetUp}>
          Connect a model…
        </button>
      </div>
      <p className="note">
        The demo answers from a script, without any model, so you can see how Coder works. It is labelled as a
        demo everywhere. Ollama on this computer, any OpenAI-compatible server and Anthropic can be set up in
        Settings.
      </p>
    </section>
  );
}
