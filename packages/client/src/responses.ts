import type { Account } from './auth-state.js';
import { unexpectedResponse } from './errors.js';

export interface SignedIn {
  access: string;
  refresh: string | undefined;
  user: Account;
}

export interface Refreshed {
  access: string;
  refresh: string | undefined;
}

/** Login and registration: `{access, user}`, and `refresh` in token mode. */
export function readSignedIn(body: unknown): SignedIn {
  const { access, refresh } = readRefreshed(body);
  return { access, refresh, user: readAccount((body as Record<string, unknown>)['user']) };
}

/** Refresh: `{access}`, and `refresh` in token mode (rotation). */
export function readRefreshed(body: unknown): Refreshed {
  if (!isRecord(body) || typeof body['access'] !== 'string') throw unexpected('no access token');
  const refresh = body['refresh'];
  if (refresh !== undefined && typeof refresh !== 'string')
    throw unexpected('a refresh token that is not a string');
  return { access: body['access'], refresh };
}

export function readAccount(body: unknown): Account {
  if (!isRecord(body) || typeof body['id'] !== 'string' || typeof body['username'] !== 'string') {
    throw unexpected('no account');
  }
  return body as unknown as Account;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unexpected(what: string) {
  return unexpectedResponse(200, `The server's answer has ${what}.`);
}

/** What a mail-sending or link-spending call answers: the server's message, to show as it is. */
export interface Notice {
  detail: string;
}

/** A verified, changed or restored address: the account's address now. */
export interface EmailNotice extends Notice {
  email: string;
}

/** The sessions a mailed "end every session" link ended. */
export interface SessionsEnded extends Notice {
  sessions_ended: number;
}

export function readNotice(body: unknown): Notice {
  if (!isRecord(body) || typeof body['detail'] !== 'string') throw unexpected('no detail');
  return { detail: body['detail'] };
}

export function readEmailNotice(body: unknown): EmailNotice {
  const { detail } = readNotice(body);
  const email = (body as Record<string, unknown>)['email'];
  if (typeof email !== 'string') throw unexpected('no email');
  return { detail, email };
}

export function readSessionsEnded(body: unknown): SessionsEnded {
  const { detail } = readNotice(body);
  const ended = (body as Record<string, unknown>)['sessions_ended'];
  if (typeof ended !== 'number') throw unexpected('no sessions_ended');
  return { detail, sessions_ended: ended };
}
