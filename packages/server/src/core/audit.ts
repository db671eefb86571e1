import type { Caller } from './caller.js';
import type { NewAuditEntry } from '../store/audit/store.js';

/** An audit entry about the caller's own account, by the caller, from where they are. */
export function auditBy(
  caller: Caller,
  action: string,
  at: Date,
  detail: Record<string, unknown> = {},
): NewAuditEntry {
  return {
    at,
    actorId: caller.user.id,
    actor: caller.user.username,
    action,
    targetId: caller.user.id,
    target: caller.user.username,
    detail,
    ip: caller.client.ip,
  };
}
