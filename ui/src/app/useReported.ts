import { useEffect } from "react";

/** Passes a query's error, once per new error, to whoever shows errors. */
export function useReported(error: string | null, onError: (message: string) => void) {
  useEffect(() => {
    if (error) onError(error);
  }, [error, onError]);
}
