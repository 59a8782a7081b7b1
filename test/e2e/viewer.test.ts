// The live viewer over HTTP and WebSocket, with a Node client in place of the browser: nothing without the token,
// the page and the admin API with it, frames that assemble into exactly the client's pixels, nothing sent for a
// static screen, and damage-only updates for a moving square. (viewer-slow-browser.test.ts: a browser that
// does not read costs the display nothing.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { run, type Pair } from '../../cli/processes.js';
import { ViewerSocket, startViewerPair } from '../helpers/viewer-socket.js';
import { knownImageMismatches } from '../helpers/known-image.js';
import { SPRITE, SpriteClient } from '../../bench/sprite-client.js';

describe('viewer access and admin over HTTP (--viewer-admin)', () => {
  let pair: Pair;
  let url: string;
  let api: string;
  beforeAll(async () => {
    let adminUrl: string | undefined;
    ({ pair, url, adminUrl } = await startViewerPair('320x200', true));
    api = adminUrl!;
  });
  afterAll(async () => pair?.stop());

  it('listens on loopback with a random token in the URL, and a different one for the admin API', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{24}$/);
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\?token=[A-Za-z0-9_-]{24}$/);
    expect(new URL(api).searchParams.get('token')).not.toBe(new URL(url).searchParams.get('token'));
  });

  it("the viewer's token cannot administer, and the admin token cannot watch", async () => {
    const watchToken = new URL(url).searchParams.get('token')!;
    const adminToken = new URL(api).searchParams.get('token')!;
    const base = url.split('?')[0]!;
    const asViewer = await fetch(`${base}api?token=${watchToken}`, { method: 'POST', body: '{"cmd":"status"}' });
    expect(asViewer.status).toBe(403);
    expect(await asViewer.text()).toMatch(/^forbidden/);
    expect((await fetch(`${base}?token=${adminToken}`)).status).toBe(403);
    const ws = new WebSocket(`${base.replace('http', 'ws')}ws?token=${adminToken}`);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(err.message).toMatch(/403/);
  });

  it('without the right token every route is 403', async () => {
    const base = url.split('?')[0]!;
    for (const u of [base, `${base}?token=wrong`, `${base}api`, `${base}ws`, `${base}nothing`]) expect((await fetch(u)).status).toBe(403);
    expect((await fetch(`${base}api?token=nope`, { method: 'POST', body: '{"cmd":"status"}' })).status).toBe(403);
    const ws = new WebSocket(`${base.replace('http', 'ws')}ws?token=nope`);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(err.message).toMatch(/403/);
  });

  it('a request target that does not parse is 400, for HTTP and for an upgrade; the backend carries on', async () => {
    const { port } = new URL(url);
    const ask = (lines: string[]) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(Number(port), '127.0.0.1', () => s.end(lines.join('\r\n') + '\r\n\r\n'));
        let got = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (got += d));
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
    expect(await ask(['GET //[ HTTP/1.1', 'Host: x'])).toMatch(/^HTTP\/1\.1 400/);
    expect(await ask(['GET //[ HTTP/1.1', 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='])).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(url)).status).toBe(200);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-[^']+'/);
    expect(await res.text()).toMatch(/<title>pvdisplay viewer<\/title>/);
    expect((await fetch(url.replace('/?', '/elsewhere?'))).status).toBe(404);
  });

  it('POST /api runs admin commands; bad requests are 4xx with an errno-style error', async () => {
    const post = async (body: string) => {
      const res = await fetch(api, { method: 'POST', body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ok = await post('{"cmd":"status"}');
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toEqual([expect.objectContaining({ domid: 1, frontendState: 'Connected' })]);
    expect(await post('not json')).toEqual({ status: 400, body: { error: { code: 'EINVAL', errno: 22, message: 'EINVAL: request is not JSON' } } });
    expect((await post('{"cmd":"fault","kind":"nope"}')).body).toMatchObject({ error: { code: 'EINVAL' } });
    expect((await post('{"cmd":"viewer"}')).body).toMatchObject({ ok: { viewers: [] } });
    expect((await post('x'.repeat(70_000))).status).toBe(413);
    expect((await fetch(api)).status).toBe(405);
    expect(pair.backend.child.exitCode).toBeNull();
  });

  it('the stream assembles into exactly the client image, and a static screen sends nothing more', async () => {
    const client = run(['pattern', '--runtime-dir', pair.dir, '--image', 'known:42', '--hold']);
    const viewer = await ViewerSocket.open(url);
    try {
      await client.waitLine(/shown known image/);
      await viewer.until(() => [...viewer.screens.values()].some((s) => s.frames > 0 && knownImageMismatches(s.rgba, 42, 0, 0, 320, 200) === 0));
      // Status comes once a second.
      await viewer.until(() => viewer.status[0]?.connector.mode === '320x200');
      expect(viewer.status[0]).toMatchObject({ domid: 1, frontendState: 'Connected', connector: { index: 0, connected: true } });
      const bytes = viewer.frameBytes;
      await new Promise((r) => setTimeout(r, 500));
      expect(viewer.frameBytes).toBe(bytes);
    } finally {
      viewer.close();
      await client.stop('SIGINT');
    }
  });

  it('a message from the browser gets an error; an oversized one closes only that socket', async () => {
    const viewer = await ViewerSocket.open(url);
    viewer.ws.send('hello');
    await viewer.until(() => viewer.texts.some((t) => t.type === 'error'));
    expect(viewer.texts.find((t) => t.type === 'error')).toEqual({ type: 'error', error: { code: 'EINVAL', errno: 22, message: 'EINVAL: the viewer takes no messages' } });
    const closed = new Promise<number>((resolve) => viewer.ws.once('close', resolve));
    viewer.ws.send(Buffer.alloc(100_000));
    expect(await closed).toBe(1009);
    expect(pair.backend.child.exitCode).toBeNull();
  });
});

describe('viewer without --viewer-admin', () => {
  it('prints no admin URL; /api is 404 with the viewer token and 403 without; the page and stream still work', async () => {
    const { pair, url } = await startViewerPair('64x64');
    try {
      expect(pair.backend.lines.some((l) => /admin: POST/.test(l))).toBe(false);
      const base = url.split('?')[0]!;
      const token = new URL(url).searchParams.get('token')!;
      expect((await fetch(`${base}api?token=${token}`, { method: 'POST', body: '{"cmd":"status"}' })).status).toBe(404);
      expect((await fetch(`${base}api`, { method: 'POST', body: '{"cmd":"status"}' })).status).toBe(403);
      expect((await fetch(url)).status).toBe(200);
      const viewer = await ViewerSocket.open(url);
      try {
        await viewer.until(() => viewer.status.length > 0);
      } finally {
        viewer.close();
      }
      expect(pair.backend.child.exitCode).toBeNull();
    } finally {
      await pair.stop();
    }
  });

  it('--viewer-admin without --viewer is refused', async () => {
    const be = run(['backend', '--runtime-dir', '/nonexistent-pvd', '--viewer-admin']);
    const { code } = await be.exited();
    expect(code).not.toBe(0);
    expect(be.lines.join('\n')).toMatch(/--viewer-admin needs --viewer/);
  });
});

describe('viewer streaming costs (1920x1080)', () => {
  let pair: Pair;
  let url: string;
  let sprite: SpriteClient;
  beforeAll(async () => {
    ({ pair, url } = await startViewerPair('1920x1080'));
    sprite = await SpriteClient.open(pair.card, 3);
  });
  afterAll(async () => {
    sprite?.close();
    await pair?.stop();
  });

  it('a 64x64 square moving on a static screen costs under 5% of full-frame bytes per update', async () => {
    const viewer = await ViewerSocket.open(url);
    try {
      await viewer.until(() => viewer.frames > 0);
      const full = viewer.frameBytes;
      expect(full).toBeGreaterThan(1920 * 1080 * 4);
      const [frames0, bytes0] = [viewer.frames, viewer.frameBytes];
      for (let i = 0; i < 60; i++) await sprite.step();
      // The viewer samples on its own timer, so the last frame's update comes when it comes: wait for the corner
      // pixel that only the last frame's square covers (the one before was 5 px left, 3 px up).
      const s = [...viewer.screens.values()][0]!;
      const at = SpriteClient.position(60);
      const orange = (x: number, y: number) => [...s.rgba.subarray((y * 1920 + x) * 4, (y * 1920 + x) * 4 + 4)].join() === '255,128,0,255';
      await viewer.until(() => orange(at.x + SPRITE - 1, at.y + SPRITE - 1));
      expect(orange(at.x + 10, at.y + 10)).toBe(true);
      const updates = viewer.frames - frames0;
      const perUpdate = (viewer.frameBytes - bytes0) / updates;
      expect(updates).toBeGreaterThan(10);
      expect(perUpdate / (1920 * 1080 * 4)).toBeLessThan(0.05);
    } finally {
      viewer.close();
    }
  });
});

describe('viewer and a card that goes away', () => {
  it('a screen whose client closes is dropped from the stream without breaking it', async () => {
    const { pair, url } = await startViewerPair('64x64');
    const viewer = await ViewerSocket.open(url);
    try {
      const card = Card.open(pair.card);
      const out = await findOutput(card, 0);
      const d = await card.createDumb(64, 64, 32);
      (await card.mapDumb(d.handle)).words.fill(0xff00ff00);
      await card.setCrtc(out.crtcId, await card.addFb2(64, 64, XRGB8888.fourcc, d.handle, d.pitch), 0, 0, [out.connector.connector_id], out.mode);
      await viewer.until(() => viewer.frames > 0);
      card.close();
      await viewer.until(() => viewer.status.some((s) => s.connector.mode === null));
      expect(pair.backend.child.exitCode).toBeNull();
    } finally {
      viewer.close();
      await pair.stop();
    }
  });
});
