import type { User } from '../store/users/store.js';
import type { ClientInfo } from './session-issuer.js';

/** A signed-in caller: the account, the session its access token belongs to, and how it signed in. */
export interface Caller {
  user: User;
  sessionId: string;
  client: ClientInfo;
  /** The session's RFC 8176 `amr` values. */
  methods: readonly string[];
  /** Seconds since the epoch; undefined for sessions started before Gatehouse recorded it. */
  authTime: number | undefined;
}
