import { useCallback, useEffect, useRef, useState } from 'react';

export type ActionResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface Action<Args extends unknown[], R> {
  run: (...args: Args) => Promise<ActionResult<R>>;
  pending: boolean;
  error: unknown;
  /** Forgets the last error (e.g. when the user edits the form again). */
  reset: () => void;
}

/**
 * Runs an async action for a button or a form: tracks whether it is pending and its last error, and
 * returns the outcome as a value, so callers never need a try/catch. A second run while one is pending
 * is refused (double submits).
 */
export function useAction<Args extends unknown[], R>(action: (...args: Args) => Promise<R>): Action<Args, R> {
  const latest = useRef(action);
  useEffect(() => {
    latest.current = action;
  });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const inFlight = useRef(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const run = useCallback(async (...args: Args): Promise<ActionResult<R>> => {
    if (inFlight.current) return { ok: false, error: new Error('Already running') };
    inFlight.current = true;
    setPending(true);
    setError(undefined);
    try {
      const value = await latest.current(...args);
      return { ok: true, value };
    } catch (caught) {
      if (mounted.current) setError(caught);
      return { ok: false, error: caught };
    } finally {
      inFlight.current = false;
      if (mounted.current) setPending(false);
    }
  }, []);
  const reset = useCallback(() => setError(undefined), []);
  return { run, pending, error, reset };
}
