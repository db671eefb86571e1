import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Thrown by a transaction's work to end it without writing anything, with a result for its caller. */
export class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super('rollback');
  }
}

/** Runs `work` in a transaction: committed when it returns, rolled back when it throws. */
export type Transact = <T>(work: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/** A transaction of its own for each call. */
export function eachInTransaction(db: Kysely<Database>): Transact {
  return async (work) => {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (error instanceof Rollback) return error.result as never;
      throw error;
    }
  };
}

interface Pending {
  work: (trx: Kysely<Database>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const SAVEPOINT = CompiledQuery.raw('savepoint grouped');
const RELEASE = CompiledQuery.raw('release grouped');
const ROLLBACK_TO = CompiledQuery.raw('rollback to grouped');

/**
 * Group commit, for SQLite: every call made while the event loop runs one round shares one transaction,
 * and so one commit and one fsync, instead of each paying its own. SQLite has a single writer and
 * better-sqlite3 waits for the disk on the event loop, so without this a burst of N rotations costs N
 * fsyncs one after another; with it, the requests that arrive while one commit is on its way to the disk
 * are written by the next, together.
 *
 * Each call still behaves as its own transaction: its work runs in a savepoint, undone alone when it
 * throws Rollback (its result is then returned, as eachInTransaction does). Any other error abandons
 * the whole group, and every call in it fails: nothing of it was committed, so nothing was acknowledged.
 * No caller hears back before the commit is on disk.
 */
export function groupCommit(db: Kysely<Database>): Transact {
  let queue: Pending[] = [];
  let running = false;

  const flush = async () => {
    running = true;
    const group = queue;
    queue = [];
    const results: unknown[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (const { work } of group) {
          await trx.executeQuery(SAVEPOINT);
          try {
            results.push(await work(trx));
          } catch (error) {
            if (!(error instanceof Rollback)) throw error;
            await trx.executeQuery(ROLLBACK_TO);
            results.push(error.result);
          }
          await trx.executeQuery(RELEASE);
        }
      });
      group.forEach((pending, index) => pending.resolve(results[index]));
    } catch (error) {
      for (const pending of group) pending.reject(error);
    } finally {
      running = false;
      // Calls made while this group was written form the next one.
      if (queue.length > 0) setImmediate(() => void flush());
    }
  };

  return (work) =>
    new Promise((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // Once per round: every call made before the loop gets to `setImmediate` joins this group.
      if (queue.length === 1 && !running) setImmediate(() => void flush());
    });
}
