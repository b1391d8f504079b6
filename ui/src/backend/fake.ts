// A `Backend` for tests: each test gives the commands it expects to be called, and any other
// call fails loudly with the command's name instead of reaching for a Tauri shell that is not
// there.
import type { Backend } from "./index";

/** A backend that answers with `commands` and rejects every other command. */
export function fakeBackend(commands: Partial<Backend>): Backend {
  return new Proxy(commands, {
    get(target, name) {
      // Not a promise itself: `await backend` must not mistake it for one.
      if (name === "then") return undefined;
      if (typeof name === "string" && name in target) return target[name as keyof Backend];
      return () => Promise.reject(new Error(`the test did not fake backend.${String(name)}`));
    },
  }) as Backend;
}
