/**
 * Wraps a task so that calls made while it runs share its one promise; the next call after it settles
 * starts it anew.
 */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= Promise.resolve()
      .then(task)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
