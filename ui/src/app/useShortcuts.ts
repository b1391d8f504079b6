import { useEffect, useRef } from "react";

/** What the app's keyboard shortcuts do. */
export interface Shortcuts {
  /** Ctrl+N (⌘N). */
  newThread: () => void;
  /** Ctrl+K (⌘K). */
  search: () => void;
  /** Ctrl+, (⌘,). */
  settings: () => void;
  /** Alt+1, Alt+2, Alt+3: the details panel's tabs, 0-based. */
  tab: (index: number) => void;
}

/** Binds the app's shortcuts on the window; the latest handlers always answer. */
export function useShortcuts(shortcuts: Shortcuts) {
  const latest = useRef(shortcuts);
  useEffect(() => {
    latest.current = shortcuts;
  });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const act = latest.current;
      if (mod && e.key.toLowerCase() === "n") {
        e.preventDefault();
        act.newThread();
      } else if (mod && e.key.toLowerCase() === "k") {
        e.preventDefault();
        act.search();
      } else if (mod && e.key === ",") {
        e.preventDefault();
        act.settings();
      } else if (e.altKey && ["1", "2", "3"].includes(e.key)) {
        e.preventDefault();
        act.tab(Number(e.key) - 1);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
