import { randomUUID } from 'node:crypto';
import { parseDjangoHash } from '../../auth/django-hashes.js';
import { isDjangoHash } from '../../auth/passwords.js';
import {
  canonicalEmail,
  isValidEmail,
  normalizeIdentifier,
  usernameKey,
  usernameProblem,
} from '../../users/canonical.js';
import type { DjangoData, DjangoUser } from './read-django.js';
import type { DjangoImportChanges, ImportedToken, ImportedUser, ImportTargetUser } from './store.js';

export interface Skipped {
  djangoId: number;
  username: string;
  reason: string;
}

export interface ImportPlan {
  create: ImportedUser[];
  update: DjangoImportChanges['update'];
  unchanged: number;
  skipped: Skipped[];
  tokens: ImportedToken[];
}

/**
 * What importing `data` changes in a database holding `targets`: each Django user matched by its Django
 * id to the account it became, else a new account. Identifiers go through Gatehouse's canonical forms
 * and rules; a Django user whose username or address is another's there (or here) is skipped with its
 * reason, never merged into that account.
 */
export function planImport(data: DjangoData, targets: readonly ImportTargetUser[], now: Date): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], unchanged: 0, skipped: [], tokens: [] };
  const byDjangoId = new Map(targets.flatMap((t) => (t.djangoId === null ? [] : [[t.djangoId, t] as const])));
  const byKey = new Map(targets.map((t) => [t.usernameKey, t]));
  const byEmail = new Map(targets.flatMap((t) => (t.email === null ? [] : [[t.email, t] as const])));
  const byPublicId = new Map(targets.map((t) => [t.publicId, t]));

  const candidates: { user: DjangoUser; imported: Omit<ImportedUser, 'publicId'> }[] = [];
  for (const user of data.users) {
    const skip = (reason: string) =>
      plan.skipped.push({ djangoId: user.id, username: user.username, reason });
    const hash = parseDjangoHash(user.password);
    if ('problem' in hash) {
      skip(`${hash.problem} (Gatehouse cannot check this password; set a usable one in Django first)`);
      continue;
    }
    const username = normalizeIdentifier(user.username);
    const email = user.email === null ? null : canonicalEmail(user.email);
    const problem = usernameProblem(username);
    if (problem) {
      skip(`username refused by Gatehouse's rules (${problem.code})`);
      continue;
    }
    if (username.includes('@') && usernameKey(username) !== email) {
      skip('a username in the form of an address that is not its own');
      continue;
    }
    if (email !== null && !isValidEmail(email)) {
      skip(`address "${user.email}" refused by Gatehouse's rules`);
      continue;
    }
    candidates.push({
      user,
      imported: {
        djangoId: user.id,
        username,
        usernameKey: usernameKey(username),
        email,
        firstName: user.firstName,
        lastName: user.lastName,
        profileEmail: user.profileEmail,
        passwordHash: hash.format === 'unusable' ? '!' : user.password,
        isActive: user.isActive,
        isStaff: user.isStaff,
        isSuperuser: user.isSuperuser,
        lastLogin: user.lastLogin,
        created: user.joined ?? now,
      },
    });
  }

  // Two Django users one Gatehouse identifier: neither is imported, since choosing would merge them.
  const clashes = new Map<number, string>();
  const findClashes = (label: string, keyOf: (c: (typeof candidates)[number]) => string | null) => {
    const groups = new Map<string, (typeof candidates)[number][]>();
    for (const candidate of candidates) {
      const key = keyOf(candidate);
      if (key !== null) groups.set(key, [...(groups.get(key) ?? []), candidate]);
    }
    for (const [key, group] of groups) {
      if (group.length < 2) continue;
      const names = group.map((c) => `"${c.user.username}" (Django id ${c.user.id})`).join(', ');
      for (const c of group)
        clashes.set(c.user.id, `${names} are one Gatehouse ${label} "${key}": none of them is imported`);
    }
  };
  findClashes('username', (c) => c.imported.usernameKey);
  findClashes('address', (c) => c.imported.email);

  for (const { user, imported } of candidates) {
    const skip = (reason: string) =>
      plan.skipped.push({ djangoId: user.id, username: user.username, reason });
    const clash = clashes.get(user.id);
    if (clash) {
      skip(clash);
      continue;
    }
    const own = byDjangoId.get(user.id);
    const taken = (other: ImportTargetUser | undefined) => other !== undefined && other.id !== own?.id;
    const other = [
      byKey.get(imported.usernameKey),
      imported.email === null ? undefined : byEmail.get(imported.email),
    ];
    const holder = other.find(taken);
    if (holder) {
      skip(
        `its username or address is already Gatehouse user "${holder.username}"'s, which was not imported from it`,
      );
      continue;
    }
    const publicId = own?.publicId ?? user.publicId ?? randomUUID();
    if (taken(byPublicId.get(publicId))) {
      skip(`its public_id ${publicId} is already another Gatehouse user's`);
      continue;
    }
    if (!own) {
      plan.create.push({ ...imported, publicId });
      continue;
    }
    // Once its owner has signed in here, the account's hash is Gatehouse's own, and kept.
    const rehashed = own.passwordHash === null || !isDjangoHash(own.passwordHash);
    const passwordHash = rehashed ? undefined : imported.passwordHash;
    // A later login here is kept over the old site's.
    const lastLogin =
      own.lastLogin !== null && (imported.lastLogin === null || own.lastLogin > imported.lastLogin)
        ? own.lastLogin
        : imported.lastLogin;
    // A user table without date_joined or created: the date of the first import stays.
    const created = user.joined === null ? own.created : imported.created;
    const next = { ...imported, publicId, lastLogin, created };
    if (isUnchanged(own, next, passwordHash)) {
      plan.unchanged++;
      continue;
    }
    const { passwordHash: _hash, ...fields } = next;
    plan.update.push({ ...fields, userId: own.id, ...(passwordHash !== undefined && { passwordHash }) });
  }

  const imported = new Set([...plan.create, ...plan.update].map((u) => u.djangoId));
  for (const target of targets) if (target.djangoId !== null) imported.add(target.djangoId);
  // Tokens past their expiry are refused anyway; those of users not imported map to nobody.
  plan.tokens = data.tokens.filter((t) => t.expiresAt > now && imported.has(t.djangoUserId));
  return plan;
}

function isUnchanged(own: ImportTargetUser, next: ImportedUser, passwordHash: string | undefined): boolean {
  return (
    own.username === next.username &&
    own.email === next.email &&
    own.firstName === next.firstName &&
    own.lastName === next.lastName &&
    own.profileEmail === next.profileEmail &&
    own.isActive === next.isActive &&
    own.isStaff === next.isStaff &&
    own.isSuperuser === next.isSuperuser &&
    own.lastLogin?.getTime() === next.lastLogin?.getTime() &&
    own.created.getTime() === next.created.getTime() &&
    (passwordHash === undefined || passwordHash === own.passwordHash)
  );
}
