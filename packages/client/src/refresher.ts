import { GatehouseError } from './errors.js';
import type { Http, Mode } from './http.js';
import { readRefreshed } from './responses.js';
import { AUTH_CODES, is401, SESSION_LOCK, sessionChanged, type Session } from './session.js';
import { singleFlight } from './single-flight.js';
import type { TokenStorage } from './storage.js';
import type { TabSync } from './tab-sync.js';

export interface RefresherDeps {
  session: Session;
  http: Http;
  mode: Mode;
  storage: TokenStorage;
  tabs: TabSync | null;
  withLock: TabSync['withLock'];
}

/**
 * The refresh: one request however many callers (single flight), one tab at a time (the lock), and none
 * at all when another tab's refresh already brought a fresh token.
 */
export function createRefresher({ session, http, mode, storage, tabs, withLock }: RefresherDeps) {
  const { access } = session;

  const endSession = (refreshToken: string | null) =>
    http.call('POST', '/api/auth/logout/', {
      body: refreshToken === null ? {} : { refresh: refreshToken },
      codes: AUTH_CODES,
    });

  const refresh = singleFlight(async () => {
    const stale = access.get();
    const since = session.epoch();
    // A token that came while this refresh waited for the lock: another tab's refresh, or a new login.
    const newer = () => {
      const current = access.get();
      return current !== null && current !== stale && access.isFresh(current) ? current : null;
    };
    return withLock(SESSION_LOCK, async () => {
      // Another tab's message may still be on the way: one turn of the event loop lets it arrive (the
      // lock, not this, is what keeps two tabs from presenting the same refresh token).
      if (tabs && newer() === null) await new Promise((resolve) => setTimeout(resolve, 0));
      const current = newer();
      if (current !== null) return current;
      if (session.epoch() !== since) throw sessionChanged();
      const presented = mode === 'token' ? await storage.get() : null;
      if (mode === 'token' && presented === null) {
        session.expire();
        throw new GatehouseError({ status: 401, code: 'not_authenticated', detail: 'No refresh token.' });
      }
      let result;
      try {
        const body = presented === null ? {} : { refresh: presented };
        result = readRefreshed(await http.call('POST', '/api/auth/refresh/', { body, codes: AUTH_CODES }));
      } catch (error) {
        if (is401(error) && session.epoch() === since) {
          if (mode === 'token') await storage.set(null);
          session.expire();
        }
        throw error;
      }
      if (session.epoch() !== since) {
        // Signed out meanwhile: a rotated refresh token nobody will use is ended, not kept.
        if (result.refresh !== undefined) void endSession(result.refresh).catch(() => undefined);
        throw sessionChanged();
      }
      if (result.refresh !== undefined) await storage.set(result.refresh);
      access.set(result.access, true);
      tabs?.broadcast({ type: 'access', access: result.access });
      return result.access;
    });
  });

  return { refresh, endSession };
}
