import type { OneTimeTokenStore } from '../core/one-time-tokens/store.js';
import type { EmailStore } from '../features/email/store.js';
import type { EmailChangeStore } from '../features/email-change/store.js';
import type { MfaStore } from '../features/mfa/store.js';
import type { PasskeyStore } from '../features/passkeys/store.js';
import type { RoleStore } from '../features/roles/store.js';
import type { AuditStore } from './audit/store.js';
import type { LimitStore } from './limits/store.js';
import type { MailStore } from './mail/store.js';
import type { SecretStore } from './secrets/store.js';
import type { SessionStore } from './sessions/store.js';
import type { SigningKeyStore } from './signing-keys/store.js';
import type { UserStore } from './users/store.js';

/**
 * Everything Gatehouse keeps: the slices, each a narrow interface with its own contract suite
 * (`<slice>/store.contract.test.ts`) that every implementation runs, and what only the whole database
 * has. Every method is atomic on its own; what must not race (rotation, uniqueness) is decided by the
 * database, never in process memory, so several server processes can share one store. Only the
 * composition roots (app.ts, serve.ts, the CLI) hold a whole Store; everything else takes its slice.
 */
export interface Store
  extends
    UserStore,
    SessionStore,
    LimitStore,
    AuditStore,
    SecretStore,
    SigningKeyStore,
    OneTimeTokenStore,
    MailStore,
    EmailStore,
    EmailChangeStore,
    MfaStore,
    PasskeyStore,
    RoleStore {
  /** One cheap round trip to the database, for readiness checks; rejects when it cannot be reached. */
  ping(): Promise<void>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
