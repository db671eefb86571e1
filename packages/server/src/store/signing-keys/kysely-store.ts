import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.js';
import type { SigningKeyRecord, SigningKeyStore } from './store.js';

export function kyselySigningKeys(db: Kysely<Database>): SigningKeyStore {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    async listSigningKeys() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('id', 'desc').execute();
      return rows.map(toRecord);
    },

    async addSigningKey(key, options = {}) {
      const row = {
        kid: key.kid,
        algorithm: key.algorithm,
        public_key: key.publicJwk === null ? null : JSON.stringify(key.publicJwk),
        private_key: key.privateKey,
        status: 'active',
        created_at: key.createdAt.toISOString(),
      };
      if (!options.onlyIfNoneActive) {
        await db.insertInto('signing_keys').values(row).execute();
        return true;
      }
      return db.transaction().execute(async (trx) => {
        // One statement decides in SQLite; PostgreSQL's snapshots would let two first starts both see no
        // key, so they queue on a lock that only this (once per database) path takes.
        if (postgres) await sql`lock table signing_keys in share row exclusive mode`.execute(trx);
        const result = await trx
          .insertInto('signing_keys')
          .columns(['kid', 'algorithm', 'public_key', 'private_key', 'status', 'created_at'])
          .expression(
            trx
              .selectNoFrom((eb) => [
                eb.val(row.kid).as('kid'),
                eb.val(row.algorithm).as('algorithm'),
                eb.val(row.public_key).as('public_key'),
                eb.val(row.private_key).as('private_key'),
                eb.val(row.status).as('status'),
                eb.val(row.created_at).as('created_at'),
              ])
              .where(({ not, exists, selectFrom }) =>
                not(
                  exists(
                    selectFrom('signing_keys')
                      .select('id')
                      .where('algorithm', '=', row.algorithm)
                      .where('status', '=', 'active'),
                  ),
                ),
              ),
          )
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
      });
    },

    async retireSigningKey(kid, protectedAlgorithm, now) {
      // The key signing new tokens (the newest active one of the configured algorithm) stays: checked in
      // the same statement, so two retirements at once cannot leave no key to sign with.
      const result = await db
        .updateTable('signing_keys as target')
        .set({ status: 'retired', retired_at: now.toISOString() })
        .where('target.kid', '=', kid)
        .where('target.status', '=', 'active')
        .where(({ or, eb, exists, selectFrom }) =>
          or([
            eb('target.algorithm', '!=', protectedAlgorithm),
            exists(
              selectFrom('signing_keys as newer')
                .select('newer.id')
                .where('newer.algorithm', '=', protectedAlgorithm)
                .where('newer.status', '=', 'active')
                .whereRef('newer.id', '>', 'target.id'),
            ),
          ]),
        )
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return 'retired';
      const row = await db
        .selectFrom('signing_keys')
        .select('status')
        .where('kid', '=', kid)
        .executeTakeFirst();
      if (!row) return 'unknown';
      return row.status === 'retired' ? 'already_retired' : 'newest';
    },

    async replaceSigningKeySecret(kid, from, to) {
      const result = await db
        .updateTable('signing_keys')
        .set({ private_key: to })
        .where('kid', '=', kid)
        .where('private_key', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

function toRecord(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_key === null ? null : (JSON.parse(row.public_key) as Record<string, string>),
    privateKey: row.private_key,
    status: row.status === 'retired' ? 'retired' : 'active',
    createdAt: new Date(row.created_at),
    retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
  };
}
