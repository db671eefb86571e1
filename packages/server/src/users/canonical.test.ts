import { describe, expect, test } from 'vitest';
import { isSingleScript, usernameProblem } from './canonical.js';

describe('usernames: one script, so no name reads as another account', () => {
  test('a Cyrillic or Greek letter among Latin ones is refused', () => {
    for (const name of ['\u0430dmin', 'p\u0430ypal', 'r\u043eot', 'alph\u03b1']) {
      expect(isSingleScript(name), name).toBe(false);
      expect(usernameProblem(name)).toEqual({ code: 'mixed_script_username' });
    }
  });

  test('names in one script, with digits and @ . + - _, are allowed', () => {
    for (const name of [
      'admin',
      'alice_2',
      'jose.garcia+x',
      'Ж\u0443\u043a\u043e\u0432',
      'Σωκράτης',
      'δ-42',
      'محمد',
    ]) {
      expect(isSingleScript(name), name).toBe(true);
      expect(usernameProblem(name), name).toBeUndefined();
    }
  });

  test('Japanese, Chinese and Korean names may mix their scripts and Latin (UTS #39 highly restrictive)', () => {
    for (const name of ['山田たろう', 'ヤマダ太郎', 'tanaka田中', '김철수kim', '王小明']) {
      expect(isSingleScript(name), name).toBe(true);
    }
    expect(isSingleScript('山田\u0430')).toBe(false);
  });
});
