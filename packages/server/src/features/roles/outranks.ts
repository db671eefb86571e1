import { GATEHOUSE_PERMISSIONS } from '@gatehouse/contract';
import { notHeld, type Authorization } from '../../core/authorization.js';
import type { User } from '../../store/users/store.js';
import type { RoleStore } from './store.js';

/**
 * Whether `target` is out of the actor's reach for the administration of accounts (deactivating,
 * deleting, ending sessions, changing flags, resetting factors): undefined when the actor may act; else
 * the permissions the target holds and the actor does not (empty: the target is a superuser, whom only a
 * superuser touches). Otherwise whoever holds users:deactivate could lock out an admin holding more, and
 * whoever holds users:update reset the factors of one, a step towards taking the account over.
 *
 * Only Gatehouse's own permissions count: they are the power over other accounts that this protects. A
 * deployer's (`posts:publish`) make an editor no harder to deactivate for support, whose job it is.
 */
const ADMINISTRATIVE: ReadonlySet<string> = new Set(Object.values(GATEHOUSE_PERMISSIONS));

export async function outranks(
  store: Pick<RoleStore, 'effectivePermissions'>,
  actor: Authorization,
  target: User,
): Promise<string[] | undefined> {
  if (actor.superuser) return undefined;
  if (target.isSuperuser) return [];
  const held = await store.effectivePermissions(target.id);
  const missing = notHeld(
    actor,
    held.filter((permission) => ADMINISTRATIVE.has(permission)),
  );
  return missing.length > 0 ? missing : undefined;
}
