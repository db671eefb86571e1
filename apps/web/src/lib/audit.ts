const ACTIONS: Readonly<Record<string, string>> = {
  'password.change': 'Password changed',
  'account.delete': 'Account deleted',
  'sessions.logout_everywhere': 'Logged out everywhere',
  'session.revoke': 'Session revoked by an administrator',
  'session.refresh_token_reused': 'Stolen token suspected: a reused refresh token ended a session',
  'user.activate': 'Account activated',
  'user.deactivate': 'Account deactivated',
  'user.grant_staff': 'Staff status granted',
  'user.revoke_staff': 'Staff status removed',
  'user.grant_superuser': 'Superuser status granted',
  'user.revoke_superuser': 'Superuser status removed',
  'user.delete': 'User deleted',
  'user.roles': 'Roles of a user changed',
  'user.groups': 'Groups of a user changed',
  'role.create': 'Role created',
  'role.update': 'Role changed',
  'role.delete': 'Role deleted',
  'group.create': 'Group created',
  'group.update': 'Group changed',
  'group.delete': 'Group deleted',
  'group.members': 'Members of a group changed',
};

/** A sentence for an audit log action code; unknown codes are shown as they are. */
export function describeAction(action: string): string {
  return ACTIONS[action] ?? action;
}

/** An audit entry's detail object as "key: value" pairs, e.g. "sessions ended: 2". */
export function describeDetail(detail: Readonly<Record<string, unknown>>): string {
  return Object.entries(detail)
    .map(
      ([key, value]) =>
        `${key.replaceAll('_', ' ')}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    .join(' · ');
}
