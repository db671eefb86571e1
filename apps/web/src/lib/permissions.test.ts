import { describe, expect, it } from 'vitest';
import { viewerOf } from './permissions';

describe('viewerOf', () => {
  it('a superuser holds every permission and opens every admin page', () => {
    const viewer = viewerOf(true, []);
    expect(viewer.can('users:delete')).toBe(true);
    expect(viewer.can('posts:publish')).toBe(true);
    expect(viewer.adminPages.map((page) => page.label)).toEqual(['Users', 'Roles', 'Groups', 'Audit log']);
  });

  it('anyone else: what they hold, and the pages it opens', () => {
    const support = viewerOf(false, ['users:deactivate', 'users:read']);
    expect(support.can('users:deactivate')).toBe(true);
    expect(support.can('users:update')).toBe(false);
    expect(support.adminPages.map((page) => page.label)).toEqual(['Users']);
    // `*` is a token's way of saying superuser, never a permission the web app grants on its own.
    expect(viewerOf(false, ['*']).can('users:read')).toBe(false);
    expect(viewerOf(false, ['users:deactivate', 'posts:publish']).adminPages).toEqual([]);
  });
});
