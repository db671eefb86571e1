import { GatehouseError } from '@gatehouse/client';
import { describe, expect, it } from 'vitest';
import { errorMessage, formErrors } from './form-errors';

const invalid = (fieldErrors: Record<string, string[]>) =>
  new GatehouseError({ status: 400, code: 'invalid', detail: 'Invalid input.', fieldErrors });

describe('formErrors', () => {
  it('puts each field error under its input and leaves the form message empty', () => {
    const error = invalid({
      username: ['user with this username already exists.'],
      password: ['This password is too short.', 'This password is too common.'],
    });
    expect(formErrors(error, ['username', 'email', 'password'])).toEqual({
      fields: {
        username: 'user with this username already exists.',
        password: 'This password is too short. This password is too common.',
      },
    });
  });

  it('sends non_field_errors and fields without an input to the form', () => {
    const error = invalid({
      non_field_errors: ['Token is blacklisted'],
      refresh: ['Bad.'],
      email: ['Taken.'],
    });
    expect(formErrors(error, ['email'])).toEqual({
      form: 'Token is blacklisted Bad.',
      fields: { email: 'Taken.' },
    });
  });

  it('maps a server field to another input through an alias', () => {
    const error = invalid({ email: ['This field is required.'] });
    expect(formErrors(error, ['username', 'password'], { email: 'username' }).fields).toEqual({
      username: 'This field is required.',
    });
  });

  it("shows a refusal's detail, such as a wrong password, as the form's message", () => {
    const error = new GatehouseError({
      status: 401,
      code: 'no_active_account',
      detail: 'No active account found with the given credentials',
    });
    expect(formErrors(error, ['username', 'password'])).toEqual({
      form: 'No active account found with the given credentials',
      fields: {},
    });
  });

  it('has nothing to say before any failure', () => {
    expect(formErrors(undefined, ['username'])).toEqual({ fields: {} });
  });

  it('words network failures and unknown errors for people', () => {
    const offline = new GatehouseError({
      status: 0,
      code: 'network_error',
      detail: 'Network request failed.',
    });
    expect(formErrors(offline, []).form).toMatch(/Cannot reach the server/);
    expect(errorMessage(new TypeError('boom'))).toBe('Something went wrong. Please try again.');
  });
});
