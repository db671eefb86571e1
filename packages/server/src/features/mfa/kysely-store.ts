import type { Kysely, Transaction } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import { insertMail } from '../../store/mail/kysely-store.js';
import type { Database } from '../../store/schema.js';
import type { FactorChangeEffects, MfaStore } from './store.js';

const date = (value: string | null) => (value === null ? undefined : new Date(value));

export function kyselyMfa(db: Kysely<Database>): MfaStore {
  const effects = async (trx: Transaction<Database>, { audit, mail }: FactorChangeEffects, now: Date) => {
    await insertAudit(trx, audit);
    for (const message of mail) await insertMail(trx, message, now);
  };
  const insertCodes = async (
    trx: Transaction<Database>,
    userId: number,
    codeHashes: readonly string[],
    now: Date,
  ) => {
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (codeHashes.length === 0) return;
    await trx
      .insertInto('recovery_codes')
      .values(
        codeHashes.map((code_hash) => ({
          user_id: userId,
          code_hash,
          created_at: now.toISOString(),
          used_at: null,
        })),
      )
      .execute();
  };

  return {
    async findTotpFactor(userId) {
      const row = await db
        .selectFrom('totp_factors')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        userId: row.user_id,
        secret: row.secret,
        createdAt: new Date(row.created_at),
        confirmedAt: date(row.confirmed_at),
        lastUsedStep: row.last_used_step === null ? undefined : Number(row.last_used_step),
      };
    },

    async startTotpEnrollment(userId, secret, now) {
      return db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('totp_factors')
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .execute();
        // The primary key decides against a confirmed factor, or a pending one made meanwhile.
        const inserted = await trx
          .insertInto('totp_factors')
          .values({
            user_id: userId,
            secret,
            created_at: now.toISOString(),
            confirmed_at: null,
            last_used_step: null,
          })
          .onConflict((oc) => oc.column('user_id').doNothing())
          .executeTakeFirst();
        return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
      });
    },

    async confirmTotp({ userId, step, now, pendingSince, codeHashes, audit, mail }) {
      return db.transaction().execute(async (trx) => {
        // The compare-and-set: of two confirmations, one; an expired pending factor confirms nothing.
        const { numUpdatedRows } = await trx
          .updateTable('totp_factors')
          .set({ confirmed_at: now.toISOString(), last_used_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .where('created_at', '>', pendingSince.toISOString())
          .executeTakeFirst();
        if (numUpdatedRows === 0n) return false;
        await insertCodes(trx, userId, codeHashes, now);
        await effects(trx, { audit, mail }, now);
        return true;
      });
    },

    async useTotpStep(userId, step) {
      // One statement: a step is accepted once, and never one at or before a step accepted already.
      const { numUpdatedRows } = await db
        .updateTable('totp_factors')
        .set({ last_used_step: step })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is not', null)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst();
      return numUpdatedRows > 0n;
    },

    async disableTotp(userId, change, now) {
      return db.transaction().execute(async (trx) => {
        const { numDeletedRows } = await trx
          .deleteFrom('totp_factors')
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is not', null)
          .executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        await effects(trx, change, now);
        return true;
      });
    },

    async countRecoveryCodes(userId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async replaceRecoveryCodes(userId, codeHashes, now, change) {
      await db.transaction().execute(async (trx) => {
        await insertCodes(trx, userId, codeHashes, now);
        await effects(trx, change, now);
      });
    },

    async useRecoveryCode(userId, codeHash, now, change) {
      return db.transaction().execute(async (trx) => {
        // The compare-and-set: a code is used once, whoever asks at the same time.
        const { numUpdatedRows } = await trx
          .updateTable('recovery_codes')
          .set({ used_at: now.toISOString() })
          .where('user_id', '=', userId)
          .where('code_hash', '=', codeHash)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (numUpdatedRows === 0n) return false;
        if (change) await effects(trx, change, now);
        return true;
      });
    },

    async countPasskeys(userId) {
      const row = await db
        .selectFrom('passkeys')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async resetFactors(userId, change, now) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('totp_factors').where('user_id', '=', userId).execute();
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        await trx.deleteFrom('passkeys').where('user_id', '=', userId).execute();
        await effects(trx, change, now);
      });
    },
  };
}
