import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';
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
