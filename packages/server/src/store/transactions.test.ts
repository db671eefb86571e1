import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from './schema.js';
import { eachInTransaction, groupCommit, Rollback, type Transact } from './transactions.js';

/** A file database (another connection must be able to look at what was committed) with one table. */
function fileDatabase() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-transactions-'));
  const file = path.join(dir, 'db.sqlite3');
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('create table secrets (name text primary key, value text not null, created text not null)');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  // Another process's view: it sees committed rows only.
  const observer = new SqliteDatabase(file, { readonly: true });
  const committed = () =>
    (observer.prepare('select name from secrets order by name').all() as { name: string }[]).map(
      (r) => r.name,
    );
  let commits = 0;
  const counting = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((sql: string) => {
    if (sql === 'commit') commits++;
    return counting(sql);
  }) as typeof sqlite.prepare;
  return {
    db,
    sqlite,
    committed,
    commits: () => commits,
    close: async () => {
      observer.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const insert = (name: string) => async (trx: Kysely<Database>) => {
  await trx.insertInto('secrets').values({ name, value: 'v', created: 'now' }).execute();
  return name;
};

describe.each([
  ['groupCommit', groupCommit],
  ['eachInTransaction', eachInTransaction],
] as const)('%s: each call behaves as its own transaction', (_name, make) => {
  let fixture: ReturnType<typeof fileDatabase>;
  let transact: Transact;
  beforeEach(() => {
    fixture = fileDatabase();
    transact = make(fixture.db);
  });
  afterEach(() => fixture.close());

  it('commits the work and returns its result', async () => {
    expect(await transact(insert('a'))).toBe('a');
    expect(fixture.committed()).toEqual(['a']);
  });

  it('Rollback undoes that call only, and returns its result', async () => {
    const results = await Promise.all([
      transact(insert('a')),
      transact(async (trx) => {
        await insert('b')(trx);
        throw new Rollback('rolled back');
      }),
      transact(insert('c')),
    ]);
    expect(results).toEqual(['a', 'rolled back', 'c']);
    expect(fixture.committed()).toEqual(['a', 'c']);
  });

  it('an error fails its call and writes nothing of it', async () => {
    const failing = transact(async (trx) => {
      await insert('b')(trx);
      await insert('b')(trx);
    });
    await expect(failing).rejects.toThrow(/UNIQUE/);
    expect(fixture.committed()).not.toContain('b');
    expect(await transact(insert('d'))).toBe('d');
  });
});

describe('groupCommit', () => {
  let fixture: ReturnType<typeof fileDatabase>;
  beforeEach(() => {
    fixture = fileDatabase();
  });
  afterEach(() => fixture.close());

  it('calls made in one round share one commit; each answer comes after it', async () => {
    const transact = groupCommit(fixture.db);
    const seenAtAnswer: string[][] = [];
    const names = ['a', 'b', 'c', 'd', 'e'];
    const commitsBefore = fixture.commits();
    await Promise.all(
      names.map((name) =>
        transact(insert(name)).then(() => {
          seenAtAnswer.push(fixture.committed());
        }),
      ),
    );
    expect(fixture.commits() - commitsBefore).toBe(1);
    // Every caller heard back only once every row was on disk.
    for (const seen of seenAtAnswer) expect(seen).toEqual(names);
  });

  it('a later call sees what an earlier call of the same group wrote, as it would after its commit', async () => {
    const transact = groupCommit(fixture.db);
    const [, count] = await Promise.all([
      transact(insert('a')),
      transact(async (trx) => (await trx.selectFrom('secrets').select('name').execute()).length),
    ]);
    expect(count).toBe(1);
  });

  it('calls made while a group is being written form the next group', async () => {
    const transact = groupCommit(fixture.db);
    const commitsBefore = fixture.commits();
    let late: Promise<string> | undefined;
    const first = transact(async (trx) => {
      // Called while the first group's transaction is open.
      late = transact(insert('late'));
      return insert('first')(trx);
    });
    expect(await first).toBe('first');
    expect(await late).toBe('late');
    expect(fixture.commits() - commitsBefore).toBe(2);
    expect(fixture.committed()).toEqual(['first', 'late']);
  });

  it('an error abandons its whole group: every call fails, nothing is written; the next group goes on', async () => {
    const transact = groupCommit(fixture.db);
    const outcomes = await Promise.allSettled([
      transact(insert('a')),
      transact(async () => {
        throw new Error('disk on fire');
      }),
      transact(insert('c')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(fixture.committed()).toEqual([]);
    expect(fixture.sqlite.inTransaction).toBe(false);
    expect(await transact(insert('d'))).toBe('d');
    expect(fixture.committed()).toEqual(['d']);
  });
});
