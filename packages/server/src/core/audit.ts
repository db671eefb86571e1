import type { Caller } from './caller.js';
import type { User } from '../store/users/store.js';
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

/**
 * An audit entry by the account's owner, proved by a link mailed to them rather than by a session (the
 * link may be opened on another device).
 */
export function auditByLink(
  user: User,
  action: string,
  at: Date,
  ip: string,
  detail: Record<string, unknown> = {},
): NewAuditEntry {
  return {
    at,
    actorId: user.id,
    actor: user.username,
    action,
    targetId: user.id,
    target: user.username,
    detail,
    ip,
  };
}
