/**
 * Where token mode keeps the refresh token. Browser mode never sees the refresh token (it lives in an
 * httpOnly cookie), so this is for Node scripts, tests and native shells with a secure store.
 *
 * @example
 * // A Node CLI that keeps its session in a file only the user can read.
 * const storage: TokenStorage = {
 *   get: () => readFile(path, 'utf8').catch(() => null),
 *   set: (refresh) => (refresh === null ? rm(path, { force: true }) : writeFile(path, refresh, { mode: 0o600 })),
 * };
 */
export interface TokenStorage {
  get(): string | null | Promise<string | null>;
  set(refresh: string | null): void | Promise<void>;
}

/**
 * Keeps the refresh token in memory only: the session ends with the process (the default).
 *
 * @example
 * const client = createAuthClient({ baseUrl: 'https://auth.example.com', mode: 'token', storage: memoryStorage() });
 */
export function memoryStorage(): TokenStorage {
  let refresh: string | null = null;
  return {
    get: () => refresh,
    set: (next) => {
      refresh = next;
    },
  };
}
