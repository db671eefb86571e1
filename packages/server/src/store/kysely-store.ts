import { Migrator, PostgresAdapter, sql, type Kysely } from 'kysely';
import { kyselyOneTimeTokens } from '../core/one-time-tokens/kysely-store.js';
import { kyselyEmail } from '../features/email/kysely-store.js';
import { kyselyEmailChange } from '../features/email-change/kysely-store.js';
import { kyselyMfa } from '../features/mfa/kysely-store.js';
import { kyselyPasskeys } from '../features/passkeys/kysely-store.js';
import { kyselyRoles } from '../features/roles/kysely-store.js';
import { kyselyAudit } from './audit/kysely-store.js';
import { kyselyMail } from './mail/kysely-store.js';
import { kyselyLimits } from './limits/kysely-store.js';
import { kyselySecrets } from './secrets/kysely-store.js';
import { kyselySessions } from './sessions/kysely-store.js';
import { kyselySigningKeys } from './signing-keys/kysely-store.js';
import { kyselyUsers } from './users/kysely-store.js';
import { migrationProvider, type Dialect } from './migrations.js';
import type { DirectConnection } from './precompiled.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** PostgreSQL's invalid_schema_name, undefined_table and undefined_column. */
const DROPPED_MEANWHILE = new Set(['3F000', '42P01', '42703']);

/**
 * The store over any Kysely dialect: every slice's implementation (one folder each) over one database.
 * `direct`: the connection under `db`, which the hottest queries then run on without Kysely
 * (direct-connections.ts).
 */
export function createKyselyStore(db: Kysely<Database>, direct?: DirectConnection): Store {
  const dialect: Dialect = db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
  return {
    ...kyselyUsers(db),
    ...kyselySessions(db, direct),
    ...kyselyAudit(db),
    ...kyselyLimits(db),
    ...kyselySigningKeys(db),
    ...kyselySecrets(db),
    ...kyselyOneTimeTokens(db),
    ...kyselyMail(db),
    ...kyselyEmail(db),
    ...kyselyEmailChange(db),
    ...kyselyMfa(db),
    ...kyselyPasskeys(db),
    ...kyselyRoles(db, direct),

    async ping() {
      await sql`select 1`.execute(db);
    },

    async migrate() {
      const migrator = new Migrator({
        db,
        provider: migrationProvider(dialect),
        // Kysely looks for its bookkeeping tables in every schema of a PostgreSQL database unless told
        // which: another schema's kysely_migration (another app, another Gatehouse) would be taken for
        // ours. Ours are where our tables go, the first schema of the search_path.
        ...(dialect === 'postgres' && { migrationTableSchema: await currentSchema(db) }),
      });
      for (let attempt = 1; ; attempt++) {
        const { error, results } = await migrator.migrateToLatest();
        if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
        // Before it migrates, Kysely lists the tables and columns of every schema in a PostgreSQL
        // database; a schema, table or column that someone drops meanwhile fails that listing. Nothing
        // has been changed then (and a failed migration is rolled back with its transaction): try again.
        const code = (error as { code?: unknown }).code;
        if (attempt >= 5 || !(typeof code === 'string' && DROPPED_MEANWHILE.has(code))) throw error;
      }
    },

    close: () => db.destroy(),
  };
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL: no schema of the search_path exists to create the tables in');
  return schema;
}
