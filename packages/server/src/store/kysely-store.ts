import { Migrator, type Kysely } from 'kysely';
import { kyselyAudit } from './kysely-audit.js';
import { kyselyLimits } from './kysely-limits.js';
import { kyselySessions } from './kysely-sessions.js';
import { kyselyUsers } from './kysely-users.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** The store over any Kysely dialect; all of Gatehouse's SQL lives in this folder. */
export function createKyselyStore(db: Kysely<Database>): Store {
  return {
    ...kyselyUsers(db),
    ...kyselySessions(db),
    ...kyselyAudit(db),
    ...kyselyLimits(db),

    async getOrCreateSecret(name, create, now) {
      const read = () => db.selectFrom('secrets').select('value').where('name', '=', name).executeTakeFirst();
      const existing = await read();
      if (existing) return existing.value;
      // Two first starts at once: the insert that loses does nothing, and both read the winner's value.
      await db
        .insertInto('secrets')
        .values({ name, value: create(), created: now.toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return (await read())?.value ?? '';
    },

    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },

    close: () => db.destroy(),
  };
}
