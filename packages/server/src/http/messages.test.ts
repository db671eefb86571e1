import { describe, expect, it } from 'vitest';
import type { Problem } from '../users/problems.js';
import { fieldErrors, problemMessage } from './messages.js';

describe('problemMessage', () => {
  // Django's and DRF's texts, which the tutorials' clients compare byte for byte.
  it.each<[Problem, string]>([
    [{ code: 'blank' }, 'This field may not be blank.'],
    [
      { code: 'max_length', params: { maxLength: 150 } },
      'Ensure this field has no more than 150 characters.',
    ],
    [
      { code: 'invalid_username' },
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ],
    [{ code: 'invalid_email' }, 'Enter a valid email address.'],
    [{ code: 'unique', params: { field: 'username' } }, 'user with this username already exists.'],
    [{ code: 'unique', params: { field: 'email' } }, 'user with this email already exists.'],
    [
      { code: 'password_too_similar', params: { attribute: 'username' } },
      'The password is too similar to the username.',
    ],
    [
      { code: 'password_too_similar', params: { attribute: 'email' } },
      'The password is too similar to the email address.',
    ],
    [
      { code: 'password_too_short', params: { minLength: 8 } },
      'This password is too short. It must contain at least 8 characters.',
    ],
    [
      { code: 'password_too_short', params: { minLength: 1 } },
      'This password is too short. It must contain at least 1 character.',
    ],
    [{ code: 'password_too_common' }, 'This password is too common.'],
    [{ code: 'password_entirely_numeric' }, 'This password is entirely numeric.'],
    [{ code: 'password_incorrect' }, 'Incorrect password.'],
    [{ code: 'old_password_incorrect' }, 'Your old password was entered incorrectly. Please enter it again.'],
  ])('%j', (problem, message) => {
    expect(problemMessage(problem)).toBe(message);
  });
});

describe('fieldErrors', () => {
  it('keeps the order of the fields and of each field’s problems', () => {
    const errors = fieldErrors({
      username: [{ code: 'unique', params: { field: 'username' } }],
      email: [{ code: 'invalid_email' }],
      password: [{ code: 'password_too_common' }, { code: 'password_entirely_numeric' }],
    });
    expect(JSON.stringify(errors)).toBe(
      JSON.stringify({
        username: ['user with this username already exists.'],
        email: ['Enter a valid email address.'],
        password: ['This password is too common.', 'This password is entirely numeric.'],
      }),
    );
  });
});
