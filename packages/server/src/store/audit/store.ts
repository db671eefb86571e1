import type { Page } from '../page.js';

export interface AuditEntry {
  id: number;
  at: Date;
  actorId: number | null;
  actor: string;
  action: string;
  targetId: number | null;
  target: string;
  detail: Record<string, unknown>;
  ip: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * The store slice of the audit log, for reading. Entries are written by the change they record, in its
 * transaction (`audit` of changePassword, updateUser, deleteUser, revokeSession…), never on their own.
 */
export interface AuditStore {
  /** Newest first; only entries about `targetId` when given. */
  listAudit(offset: number, limit: number, targetId?: number): Promise<Page<AuditEntry>>;
}
