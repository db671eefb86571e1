// @vitest-environment happy-dom
import { AuthProvider } from '@gatehouse/client/react';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeFetch, json, sessionHandlers, testClient } from '../../../testing/fake-api';
import { RegisterForm } from './register-form';

afterEach(cleanup);

describe('RegisterForm', () => {
  it('puts each server field error under its input, tied to it for assistive technology', async () => {
    const { fetch, calls } = fakeFetch({
      ...sessionHandlers(null),
      'POST /api/users/': () =>
        json(400, {
          username: ['user with this username already exists.'],
          password: ['This password is too common.'],
        }),
    });
    render(
      <AuthProvider client={testClient(fetch)}>
        <RegisterForm />
      </AuthProvider>,
    );

    fireEvent.change(screen.getByLabelText('Username'), { target: { value: ' taken ' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));

    const alerts = await screen.findAllByRole('alert');
    expect(alerts.map((alert) => alert.textContent)).toEqual([
      'user with this username already exists.',
      'This password is too common.',
    ]);
    const username = screen.getByLabelText('Username');
    expect(username.getAttribute('aria-invalid')).toBe('true');
    expect(username.getAttribute('aria-describedby')).toContain(alerts[0]?.id);
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBeNull();
    // Trimmed, and the empty optional fields are left out.
    expect(calls.find((call) => call.path === '/api/users/')?.body).toEqual({
      username: 'taken',
      password: 'password',
    });
  });
});
