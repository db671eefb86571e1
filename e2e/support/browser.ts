import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, describe, expect } from 'vitest';
import { onCi } from '../../packages/server/src/testing/ci.js';

/** Debian's Chromium: the suites never download a browser of their own. */
export const CHROMIUM = '/usr/bin/chromium';

const INSTALL_HINT = `Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install chromium\``;
const available = fs.existsSync(CHROMIUM);
const ci = onCi();

if (!available && !ci) {
  console.warn(`e2e: skipping the browser suites. ${INSTALL_HINT}.`);
}

/**
 * `describe` for a suite that drives Chromium. Without Chromium the suite is skipped on a developer's
 * machine, but under CI=true it runs and fails, so a CI that lost its browser cannot pass by skipping.
 */
export const describeInBrowser = available || ci ? describe : describe.skip;

export async function launchBrowser(): Promise<Browser> {
  if (!available) throw new Error(`${INSTALL_HINT} (CI=true: the browser suites must run).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Pages a suite opens, each in a context of its own, all closed after each test; a Content Security
 * Policy violation or an uncaught page error during the test fails it. `browser` is read when a page is
 * opened (the suite launches it in beforeAll).
 */
export function trackedPages(browser: () => Browser): () => Promise<Page> {
  const contexts = new Set<BrowserContext>();
  const pageErrors: string[] = [];
  afterEach(async () => {
    await Promise.all([...contexts].map((context) => context.close()));
    contexts.clear();
    expect(pageErrors.splice(0)).toEqual([]);
  });
  return async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    context.on('weberror', (error) => pageErrors.push(String(error.error())));
    contexts.add(context);
    return context.newPage();
  };
}
