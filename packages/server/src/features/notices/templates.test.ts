import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const TEMPLATES = new URL('../../mail/templates/', import.meta.url);

/** What each composer of these kinds gives its template; `site_name` and `public_url` are always there. */
const VARIABLES: Record<string, string[]> = {
  email_change_confirm: ['username', 'new_email', 'link', 'expires_in'],
  email_changed: ['username', 'old_email', 'new_email', 'link', 'time'],
  password_changed: ['username', 'time', 'ip', 'user_agent'],
  mfa_changed: ['username', 'change', 'time', 'ip', 'user_agent'],
  identity_linked: ['username', 'provider', 'time', 'ip', 'user_agent'],
  refresh_reuse: ['username', 'time', 'link'],
};

const placeholders = (text: string) =>
  new Set([...text.matchAll(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g)].map((match) => match[1]));

test.each(Object.entries(VARIABLES))(
  '%s: a subject, a text and an HTML body, naming only the variables its composer gives, and its link',
  (kind, variables) => {
    const text = readFileSync(new URL(`${kind}.txt`, TEMPLATES), 'utf8');
    const html = readFileSync(new URL(`${kind}.html`, TEMPLATES), 'utf8');
    expect(text).toMatch(/^Subject: \S[^\n]*\n\n\S/);
    const known = new Set([...variables, 'site_name', 'public_url']);
    for (const body of [text, html]) {
      for (const name of placeholders(body)) expect(known, `${kind}: {{${name}}}`).toContain(name);
      // Every variable the composer gives is shown: a link nobody sees is a link nobody can follow.
      for (const name of variables) expect(placeholders(body), `${kind}: {{${name}}}`).toContain(name);
    }
  },
);
