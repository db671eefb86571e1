import type { NewAuditEntry } from '../store/audit/store.js';
import type { Store } from '../store/store.js';
import type { User } from '../store/users/store.js';

const setUp = (action: string): NewAuditEntry => ({
  at: new Date(),
  actorId: null,
  actor: 'test',
  action,
  targetId: null,
  target: '',
  detail: {},
  ip: '',
});

/** A role holding `permissions`, made straight in the store (no caller, no escalation rule). */
export async function makeRole(store: Store, name: string, permissions: readonly string[]): Promise<void> {
  const made = await store.createRole(
    { name, description: '', permissions },
    new Date(),
    setUp('role.create'),
  );
  if (!made.ok) throw new Error(`makeRole(${name}): ${made.code}`);
}

/** The user's direct roles, set straight in the store. */
export async function assignRoles(store: Store, user: User, roles: readonly string[]): Promise<void> {
  const set = await store.setUserRoles(user.id, roles, () => setUp('user.roles'));
  if (!set.ok) throw new Error(`assignRoles(${user.username}): ${set.code}`);
}

/** A role of `permissions` named after the user, given to them. */
export async function grant(store: Store, user: User, permissions: readonly string[]): Promise<void> {
  await makeRole(store, `${user.username}-role`, permissions);
  await assignRoles(store, user, [`${user.username}-role`]);
}
