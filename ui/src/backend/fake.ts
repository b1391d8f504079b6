// A `Backend` for tests: each test gives the commands it expects to be called, and any other
// call fails loudly with the command's name instead of reaching for a Tauri shell that is not
// there. View changes reach the views only when the test sends them (`fakeViews`).
import type { ViewChange } from "../shared/types";
import type { Backend } from "./index";

type ViewListeners = Pick<Backend, "listening" | "onViewChange" | "onViewReset">;

/**
 * The backend's view changes and resets, sent by the test: `listeners` go into a fake backend,
 * `change` and `reset` deliver to every view listening at the time.
 */
export function fakeViews() {
  const changes = new Set<(change: ViewChange) => void>();
  const resets = new Set<() => void>();
  const listeners: ViewListeners = {
    listening: async () => {},
    onViewChange: (onChange) => {
      changes.add(onChange);
      return () => void changes.delete(onChange);
    },
    onViewReset: (onReset) => {
      resets.add(onReset);
      return () => void resets.delete(onReset);
    },
  };
  return {
    listeners,
    change: (change: ViewChange) => [...changes].forEach((onChange) => onChange(change)),
    reset: () => [...resets].forEach((onReset) => onReset()),
    /** How many views listen to changes now (a view that stopped listening is not counted). */
    subscribed: () => changes.size,
  };
}

/**
 * A backend that answers with `commands` and rejects every other command. It listens to `views`
 * (by default, views that never change) unless `commands` names its own listeners.
 */
export function fakeBackend(commands: Partial<Backend>, views = fakeViews()): Backend {
  return new Proxy(
    { ...views.listeners, ...commands },
    {
      get(target, name) {
        // Not a promise itself: `await backend` must not mistake it for one.
        if (name === "then") return undefined;
        if (typeof name === "string" && name in target) return target[name as keyof Backend];
        return () => Promise.reject(new Error(`the test did not fake backend.${String(name)}`));
      },
    },
  ) as Backend;
}
