import type { ImportedToken } from './store.js';
import { djangoBool, djangoDate, djangoUuid, quotedTable, SourceError, type DjangoSource } from './source.js';

/** A row of Django's user table (auth_user or a custom model's), with its profile's fields. */
export interface DjangoUser {
  id: number;
  username: string;
  email: string | null;
  password: string;
  firstName: string;
  lastName: string;
  profileEmail: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  /** date_joined (auth_user) or created (tutorial B's model). */
  joined: Date | null;
  lastLogin: Date | null;
  /** Tutorial B's public_id, in its dashed form. */
  publicId: string | undefined;
}

/** A Django group: its name and its permissions as `app_label:codename`. */
export interface DjangoGroup {
  id: number;
  name: string;
  permissions: string[];
  /** The Django ids of its members. */
  members: number[];
}

export interface DjangoData {
  users: DjangoUser[];
  groups: DjangoGroup[];
  /** simplejwt's outstanding refresh tokens, with whether the old site blacklisted them. */
  tokens: ImportedToken[];
}

export interface ReadOptions {
  /** auth_user unless a custom user model's table is named (tutorial B's core_user_user). */
  userTable?: string | undefined;
  /** Tutorial A's Profile (base_profile): first_name, last_name and email by user_id. */
  profileTable?: string | undefined;
}

export async function readDjango(source: DjangoSource, options: ReadOptions): Promise<DjangoData> {
  const userTable = options.userTable ?? 'auth_user';
  const users = quotedTable(userTable);
  if (!(await source.tableExists(userTable)))
    throw new SourceError(
      `no table "${userTable}" in the Django database (--user-table names a custom user model's)`,
    );
  const profiles = new Map<number, Record<string, unknown>>();
  if (options.profileTable !== undefined) {
    if (!(await source.tableExists(options.profileTable)))
      throw new SourceError(`no profile table "${options.profileTable}" in the Django database`);
    for (const row of await source.rows(`select * from ${quotedTable(options.profileTable)}`))
      profiles.set(Number(row.user_id), row);
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const rows = await source.rows(`select * from ${users} order by id`);
  const djangoUsers = rows.map((row): DjangoUser => {
    const profile = profiles.get(Number(row.id));
    const email = text(row.email).trim();
    return {
      id: Number(row.id),
      // A model without a username (email login only) is known by its address.
      username: text(row.username) || email,
      email: email === '' ? null : email,
      password: text(row.password),
      firstName: text(profile?.first_name) || text(row.first_name),
      lastName: text(profile?.last_name) || text(row.last_name),
      profileEmail: text(profile?.email),
      isActive: djangoBool(row.is_active, true),
      isStaff: djangoBool(row.is_staff, false),
      isSuperuser: djangoBool(row.is_superuser, false),
      joined: djangoDate(row.date_joined ?? row.created),
      lastLogin: djangoDate(row.last_login),
      publicId: djangoUuid(row.public_id),
    };
  });
  return {
    users: djangoUsers,
    groups: await readGroups(source, userTable),
    tokens: await readTokens(source),
  };
}

async function readGroups(source: DjangoSource, userTable: string): Promise<DjangoGroup[]> {
  if (!(await source.tableExists('auth_group'))) return [];
  const groups = new Map<number, DjangoGroup>();
  for (const row of await source.rows('select id, name from auth_group order by id'))
    groups.set(Number(row.id), { id: Number(row.id), name: String(row.name), permissions: [], members: [] });
  if (await source.tableExists('auth_group_permissions')) {
    const granted = await source.rows(
      `select gp.group_id, ct.app_label, p.codename from auth_group_permissions gp
       join auth_permission p on p.id = gp.permission_id
       join django_content_type ct on ct.id = p.content_type_id
       order by gp.group_id, ct.app_label, p.codename`,
    );
    for (const row of granted)
      groups.get(Number(row.group_id))?.permissions.push(`${String(row.app_label)}:${String(row.codename)}`);
  }
  // Django's many-to-many table of User.groups: <user table>_groups.
  const memberships = `${userTable}_groups`;
  if (await source.tableExists(memberships)) {
    for (const row of await source.rows(
      `select user_id, group_id from ${quotedTable(memberships)} order by id`,
    ))
      groups.get(Number(row.group_id))?.members.push(Number(row.user_id));
  }
  return [...groups.values()];
}

async function readTokens(source: DjangoSource): Promise<ImportedToken[]> {
  if (!(await source.tableExists('token_blacklist_outstandingtoken'))) return [];
  const blacklist = await source.tableExists('token_blacklist_blacklistedtoken');
  const rows = await source.rows(
    blacklist
      ? `select o.jti, o.user_id, o.expires_at, b.blacklisted_at from token_blacklist_outstandingtoken o
         left join token_blacklist_blacklistedtoken b on b.token_id = o.id order by o.id`
      : 'select jti, user_id, expires_at, null as blacklisted_at from token_blacklist_outstandingtoken order by id',
  );
  const tokens: ImportedToken[] = [];
  for (const row of rows) {
    const expiresAt = djangoDate(row.expires_at);
    // simplejwt keeps a deleted user's tokens with no user: nobody to map them to.
    if (row.user_id === null || expiresAt === null || typeof row.jti !== 'string') continue;
    const blacklistedAt = djangoDate(row.blacklisted_at);
    tokens.push({ jti: row.jti, djangoUserId: Number(row.user_id), expiresAt, blacklistedAt });
  }
  return tokens;
}
