import type { Kysely, Selectable } from 'kysely';
import { insertAudit } from '../../store/audit/kysely-store.js';
import type { PasskeysTable } from '../../store/factors/table.js';
import { insertMail } from '../../store/mail/kysely-store.js';
import type { Database } from '../../store/schema.js';
import type { AddPasskeyOutcome, Passkey, PasskeyEffects, PasskeyStore } from './store.js';

/** Thrown inside a transaction to roll it back with a refusal. */
class Refusal extends Error {
  constructor(readonly reason: 'exists' | 'handle_changed') {
    super(reason);
  }
}

export function kyselyPasskeys(db: Kysely<Database>): PasskeyStore {
  const passkeys = () => db.selectFrom('passkeys').selectAll();
  const effectsOn = async (trx: Kysely<Database>, { audit, mail, now }: PasskeyEffects) => {
    await insertAudit(trx, audit);
    for (const message of mail) await insertMail(trx, message, now);
  };
  return {
    async findWebauthnUserHandle(userId) {
      const row = await db
        .selectFrom('webauthn_user_handles')
        .select('handle')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.handle;
    },

    async listPasskeys(userId) {
      const rows = await passkeys()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toPasskey);
    },

    async hasPasskey(userId) {
      const row = await db
        .selectFrom('passkeys')
        .select('id')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row !== undefined;
    },

    async findPasskeyByCredentialId(credentialId) {
      const row = await passkeys().where('credential_id', '=', credentialId).executeTakeFirst();
      return row && toPasskey(row);
    },

    async addPasskey(passkey, handle, effects) {
      try {
        return await db.transaction().execute(async (trx): Promise<AddPasskeyOutcome> => {
          // The first passkey makes the handle; a later one finds it. Two first registrations at once:
          // the primary key keeps one, and the other's authenticator holds a handle that is not the user's.
          await trx
            .insertInto('webauthn_user_handles')
            .values({ user_id: passkey.userId, handle })
            .onConflict((conflict) => conflict.doNothing())
            .execute();
          const kept = await trx
            .selectFrom('webauthn_user_handles')
            .select('handle')
            .where('user_id', '=', passkey.userId)
            .executeTakeFirst();
          if (kept?.handle !== handle) throw new Refusal('handle_changed');
          // The unique index on credential_id decides, across every user.
          const inserted = await trx
            .insertInto('passkeys')
            .values({
              id: passkey.id,
              user_id: passkey.userId,
              credential_id: passkey.credentialId,
              public_key: passkey.publicKey,
              sign_count: passkey.signCount,
              transports: JSON.stringify(passkey.transports),
              device_type: passkey.deviceType,
              backed_up: passkey.backedUp ? 1 : 0,
              aaguid: passkey.aaguid,
              name: passkey.name,
              created_at: passkey.createdAt.toISOString(),
              last_used_at: null,
            })
            .onConflict((conflict) => conflict.column('credential_id').doNothing())
            .returningAll()
            .executeTakeFirst();
          if (!inserted) throw new Refusal('exists');
          await effectsOn(trx, effects);
          return { ok: true, passkey: toPasskey(inserted) };
        });
      } catch (error) {
        if (error instanceof Refusal) return { ok: false, reason: error.reason };
        throw error;
      }
    },

    async renamePasskey(userId, id, name) {
      const row = await db
        .updateTable('passkeys')
        .set({ name })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .returningAll()
        .executeTakeFirst();
      return row && toPasskey(row);
    },

    async deletePasskey(userId, id, effects) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .deleteFrom('passkeys')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        const passkey = toPasskey(row);
        await effectsOn(trx, effects(passkey));
        return passkey;
      });
    },

    async recordPasskeyUse({ id, signCount, backedUp, now, refused }) {
      return db.transaction().execute(async (trx) => {
        // The compare-and-set: a counter that does not move forward (unless both are 0) changes nothing.
        const updated = await trx
          .updateTable('passkeys')
          .set({ sign_count: signCount, backed_up: backedUp ? 1 : 0, last_used_at: now.toISOString() })
          .where('id', '=', id)
          .where('sign_count', signCount === 0 ? '=' : '<', signCount)
          .executeTakeFirst();
        if (updated.numUpdatedRows > 0n) return true;
        await insertAudit(trx, refused);
        return false;
      });
    },
  };
}

function toPasskey(row: Selectable<PasskeysTable>): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    signCount: Number(row.sign_count),
    transports: transportsOf(row.transports),
    deviceType: row.device_type === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    backedUp: row.backed_up === 1,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}

function transportsOf(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}
