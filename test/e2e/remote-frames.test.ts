// The remote transport's frames (issue 11): over ws:// on loopback and wss:// with a certificate made here, the
// pattern client's frames reach the backend with the CRCs they have over shared memory, and the backend maps no
// memfd of the frontend (it scans out mirrors of its own); v1 and a be-alloc backend too; the recorder records
// them; FB_DAMAGE_CLIPS and DIRTYFB narrow what is sent.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, startPair, startRemotePair } from '../../cli/processes.js';
import { Card } from '../../frontend/client/card.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { ATOMIC_FLAGS, DRM_CLIENT_CAP } from '../../protocol/kms/constants.js';
import { encodeRects } from '../../protocol/kms/blobs.js';
import { AtomicRequest, commitAtomic, propertyIds } from '../../frontend/client/atomic.js';
import { adminCall } from '../../cli/admin-client.js';
import { decodePng } from '../../shared/pixels/png.js';
import { wanted } from '../helpers/requires.js';
import { FRAMES, MODE, OPENSSL, crcs, flip, memfds, open, pattern, remotePair, startBackend, startFrontend } from '../helpers/remote.js';

describe('frames over the remote transport equal those over shared memory', () => {
  let shared: string[];
  beforeAll(async () => {
    const pair = await startPair({ connectors: MODE, unpaced: true, crcLog: true });
    try {
      await pattern(pair.dir);
      shared = await crcs(pair.backend, FRAMES);
      // The check below can see sharing: over backend.sock the backend maps the frontend's dumb buffers.
      const s = await open(pair.card);
      const fe = memfds(pair.frontend.child.pid!);
      const be = memfds(pair.backend.child.pid!);
      expect([...be.keys()].some((inode) => fe.has(inode) || be.get(inode)!.includes('dumb'))).toBe(true);
      s.card.close();
    } finally {
      await pair.stop();
    }
    expect(new Set(shared).size).toBeGreaterThan(1);
  });

  it('ws:// on loopback: the same CRCs, and no memfd of the frontend is mapped by the backend', async () => {
    const be = await startBackend('ws://127.0.0.1:0');
    const fe = startFrontend(be.url, be.token);
    try {
      await fe.frontend.waitLine(/frontend ready/);
      await pattern(fe.dir);
      expect(await crcs(be.backend, FRAMES)).toEqual(shared);
      const s = await open(join(fe.dir, 'dri', 'card0'));
      await flip(s);
      const clientSide = memfds(fe.frontend.child.pid!);
      const backendSide = memfds(be.backend.child.pid!);
      expect([...clientSide.values()].some((n) => n.includes('pvdisplay-dumb'))).toBe(true);
      expect([...backendSide.values()].some((n) => n.includes('pvdisplay-mirror'))).toBe(true);
      expect([...backendSide.keys()].filter((inode) => clientSide.has(inode))).toEqual([]);
      s.card.close();
    } finally {
      await fe.frontend.stop();
      await be.backend.stop();
      rmSync(fe.dir, { recursive: true, force: true });
      rmSync(be.dir, { recursive: true, force: true });
    }
  });

  it('displif v1 and a --be-alloc backend: the same CRCs (a remote frontend allocates its own buffers)', async () => {
    const pair = await startRemotePair({ connectors: MODE, unpaced: true, crcLog: true, backendArgs: ['--versions', '1', '--be-alloc'] });
    try {
      expect(await pair.frontend.waitLine(/frontend ready/)).toMatch(/displif v1/);
      await pattern(pair.dir);
      expect(await crcs(pair.backend, FRAMES)).toEqual(shared);
    } finally {
      await pair.stop();
    }
  });

  it.runIf(wanted(OPENSSL, 'remote transport over wss://'))('wss:// with a self-signed certificate: the same CRCs', async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'pvd-cert-'));
    const cert = join(certDir, 'cert.pem');
    const key = join(certDir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const be = await startBackend('wss://127.0.0.1:0', ['--tls-cert', cert, '--tls-key', key]);
    expect(be.url).toMatch(/^wss:\/\//);
    const untrusting = startFrontend(be.url, be.token);
    const fe = startFrontend(be.url, be.token, ['--tls-ca', cert]);
    try {
      // Without the certificate to trust, the frontend does not connect (and says why).
      expect(await untrusting.frontend.waitLine(/waiting for the backend/)).toMatch(/certificate/);
      await fe.frontend.waitLine(/frontend ready/);
      await pattern(fe.dir);
      expect(await crcs(be.backend, FRAMES)).toEqual(shared);
    } finally {
      await untrusting.frontend.stop();
      await fe.frontend.stop();
      await be.backend.stop();
      for (const d of [certDir, fe.dir, untrusting.dir, be.dir]) rmSync(d, { recursive: true, force: true });
    }
  });
});


describe('the backend\'s sinks over the remote transport', () => {
  const r = remotePair();

  it('a raw recording of a remote frontend\'s frames: every frame, each CRC that of its bytes', async () => {
    const client = run(['pattern', '--runtime-dir', r.p.dir, '--frames', '0']);
    try {
      await client.waitLine(/^frames \d+/);
      const dir = join(r.p.backendDir, 'rec');
      const rec = run(['record', '--runtime-dir', r.p.backendDir, '-o', dir, '--frames', '10']);
      expect(await rec.exited(), rec.lines.join('\n')).toEqual({ code: 0, signal: null });
      const index = readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { offset: number; size: number; crc: number });
      const raw = readFileSync(join(dir, 'frames.raw'));
      expect(index.length).toBe(10);
      for (const e of index) expect(crc32(raw.subarray(e.offset, e.offset + e.size))).toBe(e.crc);
      expect(new Set(index.map((e) => e.crc)).size).toBeGreaterThan(1);
    } finally {
      await client.stop('SIGINT');
    }
  });
});


describe('damage hints over the remote transport', () => {
  const r = remotePair();

  it('a flip of the shown fb sends only its FB_DAMAGE_CLIPS (as the kernel may); DIRTYFB sends its clips at once', async () => {
    const card = Card.open(join(r.p.dir, 'dri', 'card0'));
    try {
      await card.call('SET_CLIENT_CAP', { capability: DRM_CLIENT_CAP.ATOMIC, value: 1 });
      const out = await findOutput(card, 0);
      const { hdisplay: w, vdisplay: h } = out.mode;
      const d = await card.createDumb(w, h, 32);
      const map = await card.mapDumb(d.handle);
      map.bytes.fill(0x40);
      const fb = await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch);
      await card.setCrtc(out.crtcId, fb, 0, 0, [out.connector.connector_id], out.mode);
      const planeId = (await card.call('MODE_GETPLANERESOURCES', {})).planes[0]!;
      const names = await propertyIds(card, [planeId]);
      const paint = (x: number, y: number) => map.bytes.fill(0xff, y * d.pitch + x * 4, y * d.pitch + (x + 8) * 4);
      const shown = async (x: number, y: number) => {
        const path = join(r.p.backendDir, `snap-${x}-${y}.png`);
        await adminCall(join(r.p.backendDir, 'admin.sock'), { cmd: 'snapshot', connector: 0, path });
        const png = decodePng(readFileSync(path));
        return png.rgba[(y * png.width + x) * 4]!;
      };
      paint(2, 2);
      paint(100, 100);
      const clips = await card.call('MODE_CREATEPROPBLOB', { data: encodeRects([{ x1: 0, y1: 0, x2: 16, y2: 16 }]) });
      await commitAtomic(card, new AtomicRequest(names).set(planeId, 'FB_ID', fb).set(planeId, 'FB_DAMAGE_CLIPS', clips.blob_id), ATOMIC_FLAGS.PAGE_FLIP_EVENT, 7n);
      expect((await card.nextEvent(60_000)).userData).toBe(7n);
      expect(await shown(2, 2)).toBe(0xff);
      expect(await shown(100, 100)).toBe(0x40);
      const clip = new Uint8Array(new Uint16Array([96, 96, 120, 104]).buffer);
      await card.call('MODE_DIRTYFB', { fb_id: fb, flags: 0, color: 0, num_clips: 1, clips: clip });
      // A flip whose clips exclude the dirty rect: its bytes can only have gone with DIRTYFB (and are in place
      // before this flip's frame is done, being sent first).
      const corner = await card.call('MODE_CREATEPROPBLOB', { data: encodeRects([{ x1: 0, y1: 0, x2: 1, y2: 1 }]) });
      await commitAtomic(card, new AtomicRequest(names).set(planeId, 'FB_ID', fb).set(planeId, 'FB_DAMAGE_CLIPS', corner.blob_id), ATOMIC_FLAGS.PAGE_FLIP_EVENT, 8n);
      expect((await card.nextEvent(60_000)).userData).toBe(8n);
      expect(await shown(100, 100)).toBe(0xff);
    } finally {
      card.close();
    }
  });
});
