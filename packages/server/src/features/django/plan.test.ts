import { expect, test } from 'vitest';
import { planImport } from './plan.js';
import type { DjangoUser } from './read-django.js';
import type { ImportTargetUser } from './store.js';

const NOW = new Date('2026-01-02T03:04:05Z');

const djangoUser = (id: number, username: string, overrides: Partial<DjangoUser> = {}): DjangoUser => ({
  id,
  username,
  email: `${username}@example.com`,
  password: 'md5$salt$00000000000000000000000000000000',
  firstName: '',
  lastName: '',
  profileEmail: '',
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  joined: null,
  lastLogin: null,
  publicId: undefined,
  ...overrides,
});

/** What the store would list once `plan.create` is written. */
const written = (plan: ReturnType<typeof planImport>): ImportTargetUser[] =>
  plan.create.map((user, index) => ({ ...user, id: index + 1, passwordHash: user.passwordHash }));

test("a user table without a join date: the first import's date stays, a re-run changes nothing", () => {
  const data = { users: [djangoUser(1, 'ann')], groups: [], tokens: [] };
  const first = planImport(data, [], NOW);
  expect(first.create[0]?.created).toEqual(NOW);
  const again = planImport(data, written(first), new Date(NOW.getTime() + 86400_000));
  expect(again).toMatchObject({ create: [], update: [], unchanged: 1 });
});

test("usernames and addresses Gatehouse's rules refuse are skipped with the reason", () => {
  const data = {
    users: [
      djangoUser(1, 'bad name'),
      djangoUser(2, 'someone@else.example', { email: 'me@example.com' }),
      djangoUser(3, 'аdmin'), // a Cyrillic а
      djangoUser(4, 'fine', { email: 'not an address' }),
      djangoUser(5, 'ok', { publicId: '0ef83c8f-f52d-4d39-9606-9396af2bb9cc' }),
    ],
    groups: [],
    tokens: [],
  };
  const plan = planImport(data, [], NOW);
  expect(plan.skipped.map((s) => [s.djangoId, s.reason])).toEqual([
    [1, "username refused by Gatehouse's rules (invalid_username)"],
    [2, 'a username in the form of an address that is not its own'],
    [3, "username refused by Gatehouse's rules (mixed_script_username)"],
    [4, 'address "not an address" refused by Gatehouse\'s rules'],
  ]);
  expect(plan.create.map((u) => [u.username, u.publicId])).toEqual([
    ['ok', '0ef83c8f-f52d-4d39-9606-9396af2bb9cc'],
  ]);
});
