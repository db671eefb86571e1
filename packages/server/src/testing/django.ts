import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, test } from 'vitest';
import { onCi } from './ci.js';

const run = promisify(execFile);

/** Debian's Python, with python3-django and friends (the PATH's python3 may be another build). */
export const DJANGO_PYTHON = process.env['GATEHOUSE_TEST_DJANGO_PYTHON'] ?? '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'django-fixture.py');

export interface DjangoFixtureUser {
  id: number;
  username: string;
  email: string;
  /** null: the account has no usable password. */
  password: string | null;
  /** The hash format (fixture a): a Django hasher's name, `unusable` or `unknown`. */
  format?: string;
  publicId?: string;
}

export interface DjangoTokens {
  refresh: string;
  access: string;
  jti: string;
}

/** What django-fixture.py made and prints. */
export interface DjangoFixture {
  /** Where the database is: a SQLite file, or the postgres:// URL given. */
  database: string;
  users: DjangoFixtureUser[];
  groups: Record<string, string[]>;
  memberships: Record<string, string[]>;
  tokens: Record<string, DjangoTokens>;
  secretKey: string;
  accessLifetime: number;
  refreshLifetime: number;
}

export interface DjangoMaker {
  /** Runs real Django into a new SQLite file (in a temporary folder, removed after the test file), or into `database`. */
  make(variant: 'a' | 'b', database?: string): Promise<DjangoFixture>;
}

/**
 * Real Django for the tests of `what`, at a test file's top level. Missing (no python3-django at
 * DJANGO_PYTHON): undefined, and the tests are to be skipped, saying so; on CI a failing test instead.
 */
export async function useDjango(what: string): Promise<DjangoMaker | undefined> {
  try {
    await run(DJANGO_PYTHON, ['-c', 'import django, rest_framework_simplejwt, argon2, bcrypt, crypt']);
  } catch (error) {
    const message =
      `Django not found at ${DJANGO_PYTHON}: ${what} are skipped (apt-get install python3-django ` +
      `python3-djangorestframework-simplejwt python3-argon2 python3-bcrypt python3-psycopg2) [${String(error).split('\n')[0]}]`;
    if (onCi()) {
      describe(what, () => {
        test('Django is installed (on CI these tests must run, not be skipped)', () => {
          throw new Error(message.replace('are skipped', 'cannot run'));
        });
      });
    } else {
      console.warn(message);
    }
    return undefined;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-django-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  return {
    async make(variant, database = path.join(dir, `django-${variant}-${++count}.sqlite3`)) {
      const { stdout } = await run(DJANGO_PYTHON, [SCRIPT, '--variant', variant, '--database', database], {
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      });
      return { database, ...(JSON.parse(stdout) as Omit<DjangoFixture, 'database'>) };
    },
  };
}
