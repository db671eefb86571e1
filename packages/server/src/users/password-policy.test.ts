import { PASSWORD_MAX_LENGTH } from '@gatehouse/contract';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_MIN_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordProblems,
  quickRatio,
} from './password-policy.js';
import type { Problem } from './problems.js';

const tooShort = (minLength: number): Problem => ({ code: 'password_too_short', params: { minLength } });
const TOO_SHORT = tooShort(8);
const TOO_COMMON: Problem = { code: 'password_too_common' };
const NUMERIC: Problem = { code: 'password_entirely_numeric' };
const SIMILAR_USERNAME: Problem = { code: 'password_too_similar', params: { attribute: 'username' } };
const SIMILAR_EMAIL: Problem = { code: 'password_too_similar', params: { attribute: 'email' } };
const TOO_LONG: Problem = { code: 'max_length', params: { maxLength: 1024 } };

const STRONG = 'correct horse battery staple';

describe('constants', () => {
  it('defaults the minimum to 8 and keeps PASSWORD_MIN_LENGTH for existing importers', () => {
    expect(DEFAULT_PASSWORD_MIN_LENGTH).toBe(8);
    expect(PASSWORD_MIN_LENGTH).toBe(DEFAULT_PASSWORD_MIN_LENGTH);
    expect(PASSWORD_MAX_LENGTH).toBe(1024);
  });
});

describe('acceptance', () => {
  it('accepts a strong passphrase, with or without a context', () => {
    expect(passwordProblems(STRONG)).toEqual([]);
    expect(passwordProblems(STRONG, { username: 'user1', email: 'jane.doe@example.com' })).toEqual([]);
  });

  it('has no composition rules', () => {
    expect(passwordProblems('zebra lantern quietly')).toEqual([]);
    expect(passwordProblems('ZEBRALANTERNQUIETLY')).toEqual([]);
  });

  it('ignores an absent, null or empty username and email', () => {
    expect(passwordProblems(STRONG, { username: undefined, email: null })).toEqual([]);
    expect(passwordProblems(STRONG, { username: '', email: '' })).toEqual([]);
  });
});

describe('minimum length', () => {
  it('refuses fewer than 8 characters and accepts exactly 8', () => {
    expect(passwordProblems('vq7#Lp2')).toEqual([TOO_SHORT]);
    expect(passwordProblems('vq7#Lp2x')).toEqual([]);
  });

  it('refuses the empty password', () => {
    expect(passwordProblems('')).toEqual([TOO_SHORT]);
  });

  it('counts code points, not UTF-16 units', () => {
    // Four emoji are eight UTF-16 units but four characters.
    expect(passwordProblems('🦊🐙🦉🐝')).toEqual([TOO_SHORT]);
    expect(passwordProblems('🦊🐙🦉🐝🦊🐙🦉🐝')).toEqual([]);
  });

  it('counts the NFKC form', () => {
    // e + COMBINING ACUTE ACCENT composes to é: nine code points as typed, seven once normalised.
    expect(passwordProblems('ge\u0301ode\u0301sk')).toEqual([TOO_SHORT]);
    // Each ﬀ ligature becomes "ff": four code points as typed, eight once normalised.
    // (Long enough then, but a repeated character: zxcvbn finds it guessable.)
    expect(passwordProblems('\uFB00\uFB00\uFB00\uFB00').map((problem) => problem.code)).toEqual([
      'password_too_guessable',
    ]);
    expect(passwordProblems('\uFB00\uFB00q7#Lp')).toEqual([]);
  });

  it('is configurable', () => {
    expect(passwordProblems(STRONG, {}, { minLength: 30 })).toEqual([tooShort(30)]);
    expect(passwordProblems(STRONG, {}, { minLength: 28 })).toEqual([]);
    expect(passwordProblems('vq7#Lp!z', {}, { minLength: 8 })).toEqual([]);
    expect(passwordProblems('vq7#Lp', {}, { minLength: 7 })).toEqual([tooShort(7)]);
    expect(passwordProblems('vq7#Lp', {}, {})).toEqual([TOO_SHORT]);
  });

  it('allows a minimum of one (http/messages.ts then says "character")', () => {
    expect(passwordProblems('', {}, { minLength: 1 })).toEqual([tooShort(1)]);
  });

  it('rejects a minimum that no password could meet or that is not a whole number', () => {
    for (const minLength of [0, -1, 1.5, Number.NaN, PASSWORD_MAX_LENGTH + 1]) {
      expect(() => passwordProblems(STRONG, {}, { minLength })).toThrow(RangeError);
    }
    expect(passwordProblems(STRONG, {}, { minLength: PASSWORD_MAX_LENGTH })).toEqual([tooShort(1024)]);
  });
});

describe('maximum length', () => {
  it('accepts exactly 1024 characters and refuses 1025', () => {
    expect(passwordProblems('Zq9!'.repeat(256))).toEqual([]);
    expect(passwordProblems('Zq9!'.repeat(256) + 'x')).toEqual([TOO_LONG]);
  });

  it('counts code points: 1024 emoji (2048 UTF-16 units) are allowed, 1025 are not', () => {
    expect(passwordProblems('🦊'.repeat(1024))).toEqual([]);
    expect(passwordProblems('🦊'.repeat(1025))).toEqual([TOO_LONG]);
  });

  it('reports only the cap for an over-long password, whatever else is wrong with it', () => {
    expect(passwordProblems('1'.repeat(1025), { username: '1' })).toEqual([TOO_LONG]);
    expect(passwordProblems('x'.repeat(1_000_000))).toEqual([TOO_LONG]);
  });

  it('checks a 1024-character password against every rule', () => {
    const long = 'user1'.repeat(204) + 'pass';
    expect([...long]).toHaveLength(1024);
    expect(passwordProblems(long, { username: 'user1', email: 'user1@example.com' })).toEqual([]);
    expect(passwordProblems('7'.repeat(1024), { username: '7' })).toEqual([NUMERIC]);
  });
});

describe('common passwords', () => {
  it.each(['password', 'password1', '12345678', 'qwertyuiop', 'iloveyou', 'sunshine', 'trustno1'])(
    'refuses %s',
    (password) => {
      expect(passwordProblems(password)).toContainEqual(TOO_COMMON);
    },
  );

  it('reports only that for a long-enough non-numeric common password', () => {
    expect(passwordProblems('password')).toEqual([TOO_COMMON]);
    expect(passwordProblems('iloveyou')).toEqual([TOO_COMMON]);
  });

  it('matches case-insensitively', () => {
    expect(passwordProblems('PASSWORD')).toEqual([TOO_COMMON]);
    expect(passwordProblems('PassWord1')).toEqual([TOO_COMMON]);
    expect(passwordProblems('QwertyUIOP')).toEqual([TOO_COMMON]);
  });

  it('matches the NFKC form, ignoring surrounding white space as Django does', () => {
    expect(passwordProblems('ｐａｓｓｗｏｒｄ')).toEqual([TOO_COMMON]);
    expect(passwordProblems('  iloveyou  ')).toEqual([TOO_COMMON]);
  });

  it('refuses common passwords shorter than the minimum with both reasons', () => {
    expect(passwordProblems('dragon')).toEqual([TOO_SHORT, TOO_COMMON]);
  });

  it('does not refuse a password merely containing a common one', () => {
    expect(passwordProblems('password tangerine kayak')).toEqual([]);
  });
});

describe('entirely numeric passwords', () => {
  it('refuses digits only', () => {
    expect(passwordProblems('90210387465')).toEqual([NUMERIC]);
  });

  it('refuses other scripts’ decimal digits, and compatibility digits once normalised', () => {
    expect(passwordProblems('٣٨٢٩١٠٤٧٥٦')).toEqual([NUMERIC]);
    expect(passwordProblems('９０２１０３８７４６５')).toEqual([NUMERIC]);
  });

  it('accepts digits with anything else', () => {
    expect(passwordProblems('90210387465x')).toEqual([]);
    expect(passwordProblems('9021 0387 465')).toEqual([]);
  });

  it('reports common numeric passwords as both', () => {
    expect(passwordProblems('12345678')).toEqual([TOO_COMMON, NUMERIC]);
  });
});

describe('quickRatio (difflib.SequenceMatcher.quick_ratio)', () => {
  const ratio = (a: string, b: string) => quickRatio([...a], [...b]);

  it('is 2·matches / total length, counting each shared character at most as often as in both', () => {
    // u, s, e, r, 1 match (the second s of "pass" has no partner): 2·5 / (9 + 5).
    expect(ratio('user1pass', 'user1')).toBeCloseTo(10 / 14, 12);
    // 2·5 / (13 + 5)
    expect(ratio('user1password', 'user1')).toBeCloseTo(10 / 18, 12);
    expect(ratio('abc', 'cab')).toBe(1);
    expect(ratio('aaaa', 'a')).toBeCloseTo(2 / 5, 12);
    expect(ratio('abc', 'xyz')).toBe(0);
  });

  it('is 1 for two empty sequences and 0 for one', () => {
    expect(ratio('', '')).toBe(1);
    expect(ratio('abc', '')).toBe(0);
  });
});

describe('similarity to the username', () => {
  it('refuses a ratio of at least 0.7: user1pass vs user1 is 10/14 ≈ 0.714', () => {
    expect(passwordProblems('user1pass', { username: 'user1' })).toEqual([SIMILAR_USERNAME]);
  });

  it('ignores character order: resu1pass vs user1 is also 10/14', () => {
    expect(passwordProblems('resu1pass', { username: 'user1' })).toEqual([SIMILAR_USERNAME]);
  });

  it('accepts a ratio under 0.7: user1password vs user1 is 10/18 ≈ 0.556', () => {
    expect(
      passwordProblems('user1password', { username: 'user1' }).map((problem) => problem.code),
    ).not.toContain('password_too_similar');
  });

  it('compares case-insensitively: Alice2024 vs alice is 10/14', () => {
    expect(passwordProblems('Alice2024', { username: 'alice' })).toEqual([SIMILAR_USERNAME]);
    expect(passwordProblems('alice2024', { username: 'ALICE' })).toEqual([SIMILAR_USERNAME]);
  });

  it('refuses a near copy: marg4ret vs margaret is 14/16 = 0.875', () => {
    expect(passwordProblems('marg4ret', { username: 'margaret' })).toEqual([SIMILAR_USERNAME]);
  });

  it('compares with each part of a username split on non-word characters', () => {
    // "kestrel42" vs "kestrel.watcher": 14/24 ≈ 0.583; vs its part "kestrel": 2·7 / (9 + 7) = 0.875.
    expect(passwordProblems('kestrel42', { username: 'kestrel.watcher' })).toEqual([SIMILAR_USERNAME]);
  });

  it('skips a username that is tiny beside a long password', () => {
    // 25 repetitions of the username: the length ratio excludes it, and it is not similar anyway (10/130).
    expect(
      passwordProblems('user1'.repeat(25), { username: 'user1' }).map((problem) => problem.code),
    ).not.toContain('password_too_similar');
  });
});

describe('similarity to the email address', () => {
  const email = 'margaret@example.org';

  it('compares with the local part: margaret1! vs margaret is 16/18 ≈ 0.889', () => {
    expect(passwordProblems('margaret1!', { email })).toEqual([SIMILAR_EMAIL]);
  });

  it('compares with each label of the domain: example.org vs example is 14/18 ≈ 0.778', () => {
    expect(passwordProblems('example.org', { email })).toEqual([SIMILAR_EMAIL]);
    // vs "example": 2·7 / (10 + 7) ≈ 0.824
    expect(passwordProblems('example123', { email: 'jane.doe@example.com' })).toEqual([SIMILAR_EMAIL]);
  });

  it('compares with the whole address', () => {
    expect(passwordProblems('Margaret@Example.org', { email })).toEqual([SIMILAR_EMAIL]);
  });

  it('accepts a password below the threshold for every part', () => {
    // vs jane 8/13, vs doe 6/12, vs example 0, vs com 0, vs the whole 14/29: all under 0.7.
    expect(passwordProblems('janedoe99', { email: 'jane.doe@example.com' })).toEqual([]);
    // vs example: 2·6 / (11 + 7) ≈ 0.667
    expect(passwordProblems('Ex4mple-Org', { email })).toEqual([]);
  });

  it('names the username first when the password resembles both', () => {
    expect(passwordProblems('superuser', { username: 'superuser', email: 'superuser@example.com' })).toEqual([
      SIMILAR_USERNAME,
    ]);
    expect(passwordProblems('superuser', { username: 'admin', email: 'superuser@example.com' })).toEqual([
      SIMILAR_EMAIL,
    ]);
  });
});

describe('several problems', () => {
  it('reports them together in a stable order: similarity, length, common, numeric', () => {
    expect(passwordProblems('1234', { username: '1234' })).toEqual([
      SIMILAR_USERNAME,
      TOO_SHORT,
      TOO_COMMON,
      NUMERIC,
    ]);
    expect(passwordProblems('123456', { email: '123456@example.com' })).toEqual([
      SIMILAR_EMAIL,
      TOO_SHORT,
      TOO_COMMON,
      NUMERIC,
    ]);
    expect(passwordProblems('48213', {}, { minLength: 6 })).toEqual([tooShort(6), NUMERIC]);
    expect(passwordProblems('90210', {}, { minLength: 6 })).toEqual([tooShort(6), TOO_COMMON, NUMERIC]);
  });

  it('gives the same answer on every call', () => {
    const first = passwordProblems('Password1', { username: 'password' });
    expect(passwordProblems('Password1', { username: 'password' })).toEqual(first);
    expect(first).toEqual([SIMILAR_USERNAME, TOO_COMMON]);
  });
});

describe('guessability (zxcvbn)', () => {
  it('a common password with a run of digits, or the username with one, is refused with the reason', () => {
    expect(passwordProblems('password1234567')).toEqual([
      { code: 'password_too_guessable', params: { warning: 'similarToCommon' } },
    ]);
    expect(passwordProblems('letmein12345').map((problem) => problem.code)).toEqual([
      'password_too_guessable',
    ]);
    expect(passwordProblems('carolpassword1', { username: 'carol' }).map((problem) => problem.code)).toEqual([
      'password_too_guessable',
    ]);
  });

  it('passphrases and random-looking passwords pass', () => {
    for (const password of ['tangerine-kayak-42', 'correct-horse-9', 'e1ght#88', 'a-long-password']) {
      expect(passwordProblems(password), password).toEqual([]);
    }
  });

  it('only a password that passed every other check is scored: one reason, not two', () => {
    expect(passwordProblems('password').map((problem) => problem.code)).toEqual(['password_too_common']);
  });
});
