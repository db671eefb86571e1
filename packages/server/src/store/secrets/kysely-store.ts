import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { SecretStore } from './store.js';

export function kyselySecrets(db: Kysely<Database>): SecretStore {
  return {
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
  };
}
