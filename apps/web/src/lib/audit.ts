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
