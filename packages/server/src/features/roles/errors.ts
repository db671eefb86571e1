import type { ErrorCode } from '@gatehouse/contract';
import { HttpError, notFound } from '../../http/errors.js';
import type { RolesFailure } from './service.js';

const refusal = (status: number, code: ErrorCode, detail: string) =>
  new HttpError(status, code, { detail, code });

/** A change to a superuser's account by someone who is not one; making a superuser by the same. */
export const superuserOnly = () =>
  refusal(
    403,
    'permission_escalation',
    "Only a superuser changes a superuser's account or makes a superuser.",
  );

/**
 * An account out of the caller's reach (features/roles/outranks.ts): `permissions` those it holds and
 * the caller does not; none: it is a superuser's.
 */
export const outranked = (permissions: readonly string[]) =>
  permissions.length === 0
    ? superuserOnly()
    : refusal(
        403,
        'permission_escalation',
        `You cannot act on an account holding permissions you do not hold: ${permissions.join(', ')}.`,
      );

/** A caller who is not a superuser changing their own staff status. */
export const ownFlags = () =>
  refusal(403, 'permission_escalation', 'Only a superuser changes their own staff status.');

/**
 * The feature's refusals, each with its code: unknown names and duplicates are the request's fault
 * (400, as DRF answers a unique field taken); escalation is a 403 beside permission_denied.
 */
export function rolesError(failure: RolesFailure): HttpError {
  switch (failure.code) {
    case 'not_found':
      return notFound();
    case 'role_exists':
      return refusal(400, 'role_exists', 'A role with this name already exists.');
    case 'group_exists':
      return refusal(400, 'group_exists', 'A group with this name already exists.');
    case 'unknown_role':
      return refusal(400, 'unknown_role', `No such role: ${failure.names.join(', ')}.`);
    case 'unknown_group':
      return refusal(400, 'unknown_group', `No such group: ${failure.names.join(', ')}.`);
    case 'unknown_user':
      return new HttpError(400, 'invalid', { users: [`No such user: ${failure.names.join(', ')}.`] });
    case 'permission_escalation':
      return refusal(
        403,
        'permission_escalation',
        failure.permissions.length > 0
          ? `You cannot grant or take away permissions you do not hold: ${failure.permissions.join(', ')}.`
          : "Only a superuser changes their own roles, groups and memberships, or a superuser's.",
      );
  }
}
