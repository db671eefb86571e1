import { describe, expect, test } from 'vitest';
import { hasPermission, hasRole, requirePermission } from './index.js';

describe('roles and permissions of a verified token', () => {
  test('hasRole: the effective roles the token names', () => {
    const claims = { roles: ['support', 'editors'] };
    expect(hasRole(claims, 'support')).toBe(true);
    expect(hasRole(claims, 'admin')).toBe(false);
    expect(hasRole({}, 'support')).toBe(false);
    expect(hasRole({ roles: 'support' as unknown as string[] }, 'support')).toBe(false);
  });

  test('hasPermission: listed, or `*` (a superuser) for every permission', () => {
    const support = { permissions: ['users:deactivate', 'users:read'] };
    expect(hasPermission(support, 'users:read')).toBe(true);
    expect(hasPermission(support, 'users:delete')).toBe(false);
    expect(hasPermission({ permissions: ['*'] }, 'posts:publish')).toBe(true);
    expect(hasPermission({}, 'users:read')).toBe(false);
    // A prefix or a pattern is not a grant: only the exact string and `*` are.
    expect(hasPermission({ permissions: ['users:*', 'users'] }, 'users:read')).toBe(false);
    expect(hasPermission({ permissions: 'users:read' as unknown as string[] }, 'users:read')).toBe(false);
  });

  test('requirePermission: every one asked for; denied only when the token holds the full set', () => {
    const support = { roles: ['support'], permissions: ['users:deactivate', 'users:read'] };
    expect(requirePermission(support, 'users:read')).toEqual({ ok: true });
    expect(requirePermission(support, ['users:read', 'users:deactivate'])).toEqual({ ok: true });
    expect(requirePermission(support, ['users:read', 'users:delete'])).toEqual({
      ok: false,
      code: 'permission_denied',
    });
    expect(requirePermission({ permissions: ['*'] }, ['users:delete', 'posts:publish'])).toEqual({
      ok: true,
    });
    expect(requirePermission(support, [])).toEqual({ ok: true });
  });

  test('requirePermission: a token without its permissions, or with them cut short, does not know', () => {
    // GATEHOUSE_TOKEN_PERMISSIONS off: roles only.
    expect(requirePermission({ roles: ['support'] }, 'users:read')).toEqual({
      ok: false,
      code: 'permissions_unknown',
    });
    // Too large for the token: Gatehouse cut the list and says so.
    const cut = { permissions: ['users:read'], authz_omitted: ['permissions'] };
    expect(requirePermission(cut, 'users:read')).toEqual({ ok: true });
    expect(requirePermission(cut, 'users:delete')).toEqual({ ok: false, code: 'permissions_unknown' });
    // Only the roles were cut: the permissions still decide.
    const rolesCut = { roles: [], permissions: ['users:read'], authz_omitted: ['roles'] };
    expect(requirePermission(rolesCut, 'users:delete')).toEqual({ ok: false, code: 'permission_denied' });
  });
});
