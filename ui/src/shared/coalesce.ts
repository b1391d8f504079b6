/**
 * A burst of calls becomes one: `schedule` runs `run` once, `delayMs` after the first call of a
 * burst (0: on the next frame). Views that reload on every change of a stream use it, so a
 * reply streaming 30 changes a second costs a few reloads, not thirty.
 */
export function coalesce(run: () => void, delayMs = 0): { schedule: () => void; cancel: () => void } {
  let pending: number | null = null;
  let frame = false;
  const fire = () => {
    pending = null;
    run();
  };
  return {
    schedule: () => {
      if (pending !== null) return;
      frame = delayMs === 0;
      pending = frame ? requestAnimationFrame(fire) : window.setTimeout(fire, delayMs);
    },
    cancel: () => {
      if (pending === null) return;
      if (frame) cancelAnimationFrame(pending);
      else window.clearTimeout(pending);
      pending = null;
    },
  };
}
