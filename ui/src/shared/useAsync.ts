import { useCallback, useEffect, useState, type DependencyList } from "react";

import { describe } from "./errors";
import type { IpcError } from "./types";

/**
 * Loads a value, again when `reload` is called or `deps` change. An answer that arrives after a
 * newer load started is ignored, so a slow answer never overwrites a fresh one. Views that show
 * another thing entirely are keyed by it, so they never show the previous thing's value.
 */
export function useAsync<T>(load: () => Promise<T>, deps: DependencyList) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  useEffect(() => {
    let current = true;
    load().then(
      (v) => {
        if (current) {
          setValue(v);
          setError(null);
        }
      },
      (e: IpcError) => {
        if (current) setError(describe(e));
      },
    );
    return () => {
      current = false;
    };
    // `deps` are what `load` reads; `load` itself is a new closure every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { value, error, reload };
}
