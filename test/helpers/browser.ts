// Debian's Chromium driven by playwright-core for the viewer's browser tests: headless, no GPU, no network
// services, a fresh profile per launch. Tests skip when /usr/bin/chromium is missing, unless
// PVDISPLAY_REQUIRE_BROWSER=1 (as .ci/run sets, after installing it) makes a missing browser a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { CHROMIUM as CHROMIUM_REQUIREMENT, wanted } from './requires.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = CHROMIUM_REQUIREMENT.files[0]!;

export const browserWanted = wanted(CHROMIUM_REQUIREMENT, 'the viewer in a real browser');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'pvd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The little of the page's DOM that tests touch inside page.evaluate() callbacks, typed here because the tests
 * compile without the DOM library: use `(globalThis as unknown as PageGlobals).document` in a callback.
 */
export interface PageGlobals {
  document: {
    querySelector(selector: string): PageCanvas | null;
  };
}

export interface PageCanvas {
  width: number;
  height: number;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
