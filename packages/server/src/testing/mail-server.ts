import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message the test SMTP server accepted, parsed by mailparser. */
export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and every RCPT TO. */
  envelope: { from: string; to: string[] };
  /** The message as it arrived (RFC 5322). */
  raw: Buffer;
  parsed: ParsedMail;
  subject: string;
  /** The plain-text body ('' when there is none). */
  text: string;
  /** The HTML body ('' when there is none). */
  html: string;
  /** Whether it came over TLS (STARTTLS or smtps). */
  secure: boolean;
}

export interface TestMailServer {
  /** `smtp://[user:pass@]127.0.0.1:<port>`: GATEHOUSE_SMTP_URL for the server under test. */
  url: string;
  port: number;
  /** Every accepted message, in the order they arrived. */
  messages: ReceivedMail[];
  /** The first message (already received or still to come) that `predicate` accepts; rejects after `timeoutMs`. */
  waitForMessage(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** The next `count` messages are refused at RCPT TO with `code` (451: try again later; 5xx: permanent). */
  refuseNext(count: number, code?: number): void;
  /** How many deliveries were refused so far. */
  refused(): number;
  /** Each message is answered only `ms` after it arrived (a slow relay): 0 by default. */
  delay(ms: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback (smtp-server, no TLS by default), for tests of the mail path: the server
 * under test talks SMTP to it through nodemailer, as it would to a relay. `auth`: it requires that user
 * and password. `port`: a port of the test's choosing (to start it where a server expects a relay that
 * was down). `tls`: it offers STARTTLS, or speaks TLS from the first byte (`implicit`, an smtps:// URL),
 * with smtp-server's own self-signed certificate for localhost.
 */
export async function startMailServer(
  options: { auth?: { user: string; pass: string }; port?: number; tls?: 'starttls' | 'implicit' } = {},
): Promise<TestMailServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusals: { count: number; code: number } = { count: 0, code: 451 };
  let refusedSoFar = 0;
  let delayMs = 0;

  const server = new SMTPServer({
    secure: options.tls === 'implicit',
    disabledCommands: [
      ...(options.tls === 'starttls' ? [] : ['STARTTLS']),
      ...(options.auth ? [] : ['AUTH']),
    ],
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(_address, _session, callback) {
      if (refusals.count > 0) {
        refusals = { ...refusals, count: refusals.count - 1 };
        refusedSoFar++;
        const permanent = refusals.code >= 500;
        const message = permanent ? 'Mailbox unavailable (test refusal)' : 'Try again later (test refusal)';
        callback(Object.assign(new Error(message), { responseCode: refusals.code }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const from = session.envelope.mailFrom;
            messages.push({
              envelope: {
                from: from === false ? '' : from.address,
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              raw,
              parsed,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              secure: session.secure,
            });
            for (const wake of waiters) wake();
            setTimeout(callback, delayMs);
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : '';

  return {
    url: `${options.tls === 'implicit' ? 'smtps' : 'smtp'}://${credentials}127.0.0.1:${port}`,
    port,
    messages,
    waitForMessage(predicate = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching message within ${timeoutMs} ms (received ${messages.length}: ` +
                `${JSON.stringify(messages.map((m) => m.subject))})`,
            ),
          );
        }, timeoutMs);
        const wake = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        if (!check()) waiters.add(wake);
      });
    },
    refuseNext(count, code = 451) {
      refusals = { count, code };
    },
    refused: () => refusedSoFar,
    delay(ms) {
      delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first http(s) link in a plain-text body, as a mail's reader would click it; undefined when none. */
export function firstLink(text: string): string | undefined {
  return /https?:\/\/[^\s<>"')\]]+/.exec(text)?.[0];
}
