// The viewer page in a real browser (Chromium): the canvas holds exactly the pixels the client drew (read back
// with getImageData), and a 64x64 square moving on a static 1080p screen costs under 5% of a full frame per update
// in WebSocket bytes as the browser received them (counted through the DevTools protocol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { run } from '../../cli/processes.js';
import { browserWanted, launchBrowser, type Browser, type PageGlobals } from '../helpers/browser.js';
import { knownImageMismatches } from '../helpers/known-image.js';
import { SPRITE, SpriteClient } from '../../bench/sprite-client.js';
import { startViewerPair } from '../helpers/viewer-socket.js';
import { RawFrontend } from '../helpers/raw-frontend.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANVAS = 'canvas[data-connector="0"]';

/** Waits until connector 0's canvas is `width`x`height` and has applied a frame. */
async function waitForCanvas(page: Page, width: number, height: number): Promise<void> {
  await page.waitForFunction(
    ([sel, w, h]) => {
      const c = (globalThis as unknown as PageGlobals).document.querySelector(sel);
      return c !== null && c.width === w && c.height === h && Number(c.dataset.frames) > 0;
    },
    [CANVAS, width, height] as const,
    { timeout: 15_000 },
  );
}

/** RGBA of a rectangle of connector 0's canvas, read back with getImageData. */
async function readCanvas(page: Page, x: number, y: number, w: number, h: number): Promise<Uint8Array> {
  const data = await page.evaluate(
    ([sel, rx, ry, rw, rh]) => Array.from((globalThis as unknown as PageGlobals).document.querySelector(sel)!.getContext('2d').getImageData(rx, ry, rw, rh).data),
    [CANVAS, x, y, w, h] as const,
  );
  return Uint8Array.from(data);
}

describe.skipIf(!browserWanted)('the viewer in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => browser?.close());

  it('with no frontend it says it is waiting for one; a frontend that has not reported says "not reported yet"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-viewer-empty-'));
    const backend = run(['backend', '--runtime-dir', dir, '--connectors', '320x200', '--viewer', '127.0.0.1:0']);
    const page = await browser.context.newPage();
    let raw: RawFrontend | undefined;
    try {
      const url = /viewer: (\S+)/.exec(await backend.waitLine(/^viewer: /))![1]!;
      await page.goto(url);
      const text = (sel: string) => page.evaluate((q) => (globalThis as unknown as PageGlobals).document.querySelector(q)?.textContent ?? '', sel);
      const hidden = () => page.evaluate(() => ((globalThis as unknown as PageGlobals).document.querySelector('#empty') as unknown as { hidden: boolean }).hidden);
      await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('#connection')?.textContent === 'live');
      expect(await text('#empty')).toMatch(/No frontend is connected: waiting for one/);
      expect(await hidden()).toBe(false);
      // A bare frontend walks XenBus but never publishes its frame-done timeouts or link-status.
      raw = await RawFrontend.connect(join(dir, 'backend.sock'));
      await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).document.querySelector('figcaption')?.textContent ?? '').includes('frontend'));
      expect(await text('figcaption')).toMatch(/frame-done timeouts not reported yet · link-status not reported yet/);
      expect(await hidden()).toBe(true);
    } finally {
      raw?.close();
      await page.close();
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the canvas shows exactly the pixels the client drew, and the status line', async () => {
    const { pair, url } = await startViewerPair('320x200');
    const client = run(['pattern', '--runtime-dir', pair.dir, '--image', 'known:42', '--hold']);
    const page = await browser.context.newPage();
    try {
      await client.waitLine(/shown known image/);
      await page.goto(url);
      await waitForCanvas(page, 320, 200);
      expect(knownImageMismatches(await readCanvas(page, 0, 0, 320, 200), 42, 0, 0, 320, 200)).toBe(0);
      await page.waitForFunction(
        (sel) => /connected · 320x200 @ 60 Hz · .* · frontend Connected · backend Connected$/.test((globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? ''),
        'figcaption',
      );
    } finally {
      await page.close();
      await client.stop('SIGINT');
      await pair.stop();
    }
  });

  it('a 64x64 square moving on a static 1920x1080 screen costs under 5% of full-frame bytes on the socket', async () => {
    const { pair, url } = await startViewerPair('1920x1080');
    const sprite = await SpriteClient.open(pair.card, 5);
    const page = await browser.context.newPage();
    try {
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Network.enable');
      const received = { bytes: 0, frames: 0 };
      cdp.on('Network.webSocketFrameReceived', (e) => {
        if (e.response.opcode !== 2) return; // binary frames only; status text comes once a second
        received.bytes += Buffer.from(e.response.payloadData, 'base64').length;
        received.frames++;
      });
      await page.goto(url);
      await waitForCanvas(page, 1920, 1080);
      const full = 1920 * 1080 * 4;
      expect(received.bytes).toBeGreaterThan(full);
      expect(knownImageMismatches(await readCanvas(page, 1000, 700, 64, 64), 5, 1000, 700, 64, 64)).toBe(0);
      const before = { ...received };
      for (let i = 0; i < 60; i++) await sprite.step();
      const at = SpriteClient.position(60);
      // The canvas catches up with the client's last frame: the square where the client left it (its corner pixel,
      // which no earlier frame's square covered: the one before was 5 px left and 3 px up).
      await page.waitForFunction(
        ([sel, x, y]) => {
          const d = (globalThis as unknown as PageGlobals).document.querySelector(sel)!.getContext('2d').getImageData(x, y, 1, 1).data;
          return d[0] === 0xff && d[1] === 0x80 && d[2] === 0;
        },
        [CANVAS, at.x + SPRITE - 1, at.y + SPRITE - 1] as const,
        { timeout: 30_000 },
      );
      const updates = received.frames - before.frames;
      const perUpdate = (received.bytes - before.bytes) / updates;
      expect(updates).toBeGreaterThan(10);
      expect(perUpdate / full).toBeLessThan(0.05);
      // Where the square was, the background is back.
      const first = SpriteClient.position(1);
      expect(knownImageMismatches(await readCanvas(page, first.x, first.y, 64, 64), 5, first.x, first.y, 64, 64)).toBe(0);
    } finally {
      await page.close();
      sprite.close();
      await pair.stop();
    }
  });
});
