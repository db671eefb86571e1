// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkTokenProvider, useLinkToken } from './link-token';

afterEach(cleanup);

function ShowToken() {
  return <p>token: {useLinkToken() ?? 'none'}</p>;
}

describe('LinkTokenProvider', () => {
  it('a link opened again in this tab (only the fragment changes): its token replaces the first, and leaves the address', async () => {
    window.history.replaceState(null, '', '/verify-email');
    const router = createMemoryRouter([{ path: '/verify-email', element: <ShowToken /> }], {
      initialEntries: ['/verify-email'],
    });
    render(
      <LinkTokenProvider initial={{ pathname: '/verify-email', token: 'first' }}>
        <RouterProvider router={router} />
      </LinkTokenProvider>,
    );
    expect(await screen.findByText('token: first')).toBeTruthy();

    act(() => {
      window.history.replaceState(null, '', '/verify-email#token=second');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    expect(await screen.findByText('token: second')).toBeTruthy();
    expect(window.location.hash).toBe('');
    expect(window.location.pathname).toBe('/verify-email');
  });
});
