import { useCallback, useEffect, useRef, useState } from 'react';

export type ResourceState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; data: T; refreshing: boolean };

export interface Resource<T> {
  state: ResourceState<T>;
  /** Loads again, keeping the current data on screen meanwhile. */
  reload: () => void;
  /** Replaces the data after a change the server already confirmed (no refetch). */
  setData: (update: (data: T) => T) => void;
}

type Loader<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Loads data for a component: again whenever `key` changes (a user id, a page and a search), aborting
 * the previous request. With `keepPrevious`, the old data stays on screen while the next key loads
 * (paging); otherwise a new key shows the loading state.
 */
export function useResource<T>(key: string, load: Loader<T>, options: { keepPrevious?: boolean } = {}) {
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });
  const keepPrevious = options.keepPrevious ?? false;
  const [state, setState] = useState<ResourceState<T>>({ status: 'loading' });
  const [version, setVersion] = useState(0);
  const loadedKey = useRef<string | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    const sameKey = loadedKey.current === key;
    setState((current) =>
      current.status === 'ready' && (sameKey || keepPrevious)
        ? { ...current, refreshing: true }
        : { status: 'loading' },
    );
    loader.current(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        loadedKey.current = key;
        setState({ status: 'ready', data, refreshing: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [key, version, keepPrevious]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const setData = useCallback(
    (update: (data: T) => T) =>
      setState((current) =>
        current.status === 'ready' ? { ...current, data: update(current.data) } : current,
      ),
    [],
  );
  return { state, reload, setData } satisfies Resource<T>;
}
