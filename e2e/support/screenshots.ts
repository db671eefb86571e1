import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

/** Every page the suites visit, as a person would see it: CI keeps this folder as an artifact. */
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
