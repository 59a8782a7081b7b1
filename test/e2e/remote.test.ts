// A frontend and a backend that share no memory (issue 11): over ws:// on loopback and wss:// with a certificate
// made here, the pattern client's frames reach the backend with the CRCs they have over shared memory, and the
// backend maps no memfd of the frontend (it scans out mirrors of its own). The token is required; a peer that
// sends garbage is closed and the backend keeps serving; a cut link unplugs the device (card0 a zombie) and the
// restored path brings card1; a stalled one costs frame-done timeouts and link-status Bad, never a hang.
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import msgpack from 'msgpack-lite';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fdCount, run, startPair, startRemotePair, type Proc, type RemotePair } from '../../cli/processes.js';
import { Prng } from '../../fuzz/prng.js';
import { mutate } from '../../fuzz/values.js';
import { RemoteLink, remoteTemplate, ringSetup } from '../../fuzz/remote.js';
import { Card } from '../../frontend/client/card.js';
import * as native from '../../shared/native/index.js';
import { findOutput, type Output } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { ATOMIC_FLAGS, DRM_CLIENT_CAP, LINK_STATUS } from '../../protocol/kms/constants.js';
import { encodeRects } from '../../protocol/kms/blobs.js';
import { AtomicRequest, commitAtomic, propertyIds } from '../../frontend/client/atomic.js';
import { adminCall } from '../../cli/admin-client.js';
import { decodePng } from '../../shared/pixels/png.js';
import { frameCrc } from '../../shared/pixels/crc.js';
import { FaultProxy } from '../../cli/fault-proxy.js';
import { wanted, type Requirement } from '../helpers/requires.js';

const OPENSSL: Requirement = { what: 'the openssl command', files: ['/usr/bin/openssl'], requireEnv: 'PVDISPLAY_REQUIRE_OPENSSL', install: 'apt-get install openssl' };
const MODE = '320x200';
const FRAMES = 12;

interface Remote {
  dir: string;
  backend: Proc;
  url: string;
  token: string;
}

async function startBackend(listen: string, extra: string[] = []): Promise<Remote> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-be-'));
  const backend = run(['backend', '--runtime-dir', dir, '--connectors', MODE, '--unpaced', '--crc-log', '--listen', listen, ...extra]);
  const url = /remote frontends: (\S+)/.exec(await backend.waitLine(/remote frontends:/))![1]!;
  const token = /token: (\S+)/.exec(await backend.waitLine(/^token:/))![1]!;
  await backend.waitLine(/backend listening/);
  return { dir, backend, url, token };
}

function startFrontend(url: string, token: string, extra: string[] = []): { dir: string; frontend: Proc } {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-fe-'));
  return { dir, frontend: run(['frontend', '--runtime-dir', dir, '--backend', url, ...extra], { PVDISPLAY_TOKEN: token }) };
}

/** The CRCs the backend logged for frames 1..n of its latest frontend, in order. */
async function crcs(backend: Proc, n: number): Promise<string[]> {
  await backend.waitLine(new RegExp(`^crc \\d+/0 ${n} `));
  const last = new Map<number, string>();
  for (const l of backend.stdout) {
    const m = /^crc \d+\/0 (\d+) (0x[0-9a-f]{8})$/.exec(l);
    if (m) last.set(Number(m[1]), m[2]!);
  }
  return Array.from({ length: n }, (_, i) => last.get(i + 1) ?? 'missing');
}

async function pattern(feDir: string): Promise<void> {
  const p = run(['pattern', '--runtime-dir', feDir, '--frames', String(FRAMES)]);
  expect(await p.exited(), p.lines.join('\n')).toEqual({ code: 0, signal: null });
}

/** Inodes of the memfds a process maps, by name. */
function memfds(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[5]?.startsWith('/memfd:')) out.set(f[4]!, f[5]);
  }
  return out;
}

/** A backend on ws://127.0.0.1 with one remote frontend, for a describe block; `r.p` inside its tests. */
function remotePair(o: Parameters<typeof startRemotePair>[0] = {}): { p: RemotePair } {
  const r = {} as { p: RemotePair };
  beforeAll(async () => {
    r.p = await startRemotePair({ connectors: MODE, unpaced: true, crcLog: true, ...o });
  });
  afterAll(async () => {
    await r.p?.stop();
  });
  return r;
}

interface Screen {
  card: Card;
  out: Output;
  fbs: number[];
}

async function open(path: string): Promise<Screen> {
  const card = Card.open(path);
  const out = await findOutput(card, 0);
  const fbs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await card.createDumb(out.mode.hdisplay, out.mode.vdisplay, 32);
    const map = await card.mapDumb(d.handle);
    map.bytes.fill(0x40 * (i + 1));
    fbs.push(await card.addFb2(out.mode.hdisplay, out.mode.vdisplay, XRGB8888.fourcc, d.handle, d.pitch));
  }
  await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
  return { card, out, fbs };
}

let flips = 0;
async function flip(s: Screen): Promise<void> {
  const n = ++flips;
  await s.card.pageFlip(s.out.crtcId, s.fbs[n % 2]!, BigInt(n));
  expect((await s.card.nextEvent(60_000)).userData).toBe(BigInt(n));
}

async function timeouts(s: Screen): Promise<number> {
  return (await s.card.call('PVD_STATUS', {})).crtcs.find((c) => c.crtc_id === s.out.crtcId)!.frame_done_timeouts;
}

async function linkStatus(s: Screen): Promise<number> {
  const p = await s.card.call('MODE_OBJ_GETPROPERTIES', { obj_id: s.out.connector.connector_id, obj_type: 0 });
  const names = await Promise.all(p.props.map(async (id) => (await s.card.call('MODE_GETPROPERTY', { prop_id: id })).name));
  return p.prop_values[names.indexOf('link-status')]!;
}

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

describe('who may connect, and what a hostile peer gets', () => {
  const r = remotePair();

  /** The HTTP status of an upgrade with these headers, or 'open'. */
  const upgrade = (headers: Record<string, string>) =>
    new Promise<number | 'open'>((resolve) => {
      const ws = new WebSocket(r.p.url, { headers });
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.on('open', () => {
        resolve('open');
        ws.close();
      });
      ws.on('error', () => undefined);
    });

  it('an upgrade without the token, or with a wrong one, is 401; with it, it opens', async () => {
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ authorization: 'Bearer wrong-token-of-some-length' })).toBe(401);
    expect(await upgrade({ authorization: `Bearer ${r.p.token}x` })).toBe(401);
    expect(await upgrade({ authorization: r.p.token })).toBe(401);
    expect(await upgrade({ authorization: `Bearer ${r.p.token}` })).toBe('open');
  });

  it('plain ws:// off loopback is refused (backend and frontend) unless --insecure; wss:// needs its certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-refuse-'));
    try {
      const failed = async (args: string[]) => {
        const p = run([...args, '--runtime-dir', dir]);
        expect(await p.exited()).toEqual({ code: 1, signal: null });
        return p.lines.join('\n');
      };
      expect(await failed(['backend', '--listen', 'ws://0.0.0.0:0'])).toMatch(/EACCES: plain ws:\/\/ on 0\.0\.0\.0 would send the token/);
      expect(await failed(['frontend', '--backend', 'ws://10.1.2.3:7800', '--token', 'a-token-long-enough'])).toMatch(/EACCES: plain ws:\/\/ to 10\.1\.2\.3/);
      expect(await failed(['backend', '--listen', 'wss://127.0.0.1:0'])).toMatch(/EINVAL: wss:\/\/ needs --tls-cert and --tls-key/);
      expect(await failed(['backend', '--listen', 'ws://127.0.0.1:0', '--token', 'short'])).toMatch(/EINVAL: a token must be at least 16 characters/);
      expect(existsSync(join(dir, 'backend.sock'))).toBe(false);
      const insecure = run(['backend', '--runtime-dir', dir, '--listen', 'ws://0.0.0.0:0', '--insecure']);
      expect(await insecure.waitLine(/remote frontends:/)).toMatch(/ws:\/\/0\.0\.0\.0:\d+/);
      await insecure.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a frontend with a wrong token is refused and says so', async () => {
    const bad = startFrontend(r.p.url, 'not-the-token-at-all');
    try {
      expect(await bad.frontend.waitLine(/waiting for the backend/)).toMatch(/EACCES.*refused this token/);
      expect(existsSync(join(bad.dir, 'dri', 'card0'))).toBe(false);
    } finally {
      await bad.frontend.stop();
      rmSync(bad.dir, { recursive: true, force: true });
    }
  });

  /** Opens a link with the token, sends `frames`, and resolves with the close code the backend gave. */
  const hostile = (frames: (Buffer | string)[], answers: unknown[] = []) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(r.p.url, { headers: { authorization: `Bearer ${r.p.token}` } });
      ws.on('open', () => {
        for (const f of frames) ws.send(f);
      });
      ws.on('message', (data: Buffer) => answers.push(msgpack.decode(data)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => undefined);
    });

  it('garbage, oversized and malformed messages close that link; the backend keeps serving its frontend', async () => {
    const enc = (m: Record<string, unknown>) => msgpack.encode(m);
    expect(await hostile(['a text frame'])).toBe(1002);
    expect(await hostile([Buffer.from([0xc1, 0xff, 0x00])])).toBe(1002);
    expect(await hostile([enc({ t: 'nonsense' })])).toBe(1002);
    expect(await hostile([Buffer.alloc(3 * 1024 * 1024)])).toBe(1009);
    expect(await hostile([enc({ t: 'req', port: 7, pkt: Buffer.alloc(64) })])).toBe(1002);
    expect(await hostile([enc({ t: 'data', seg: 9, spans: [0, 16], z: deflateRawSync(Buffer.alloc(16)) })])).toBe(1002);
    // A deflate bomb: 64 MiB of zeros claimed as 4 KiB of a segment costs at most those 4 KiB, then the link.
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024));
    expect(await hostile([enc({ t: 'seg', id: 1, size: 4096 }), enc({ t: 'data', seg: 1, spans: [0, 4096], z: bomb })])).toBe(1002);
    // More memory than a peer may make the backend mirror is refused with an errno; the link stays.
    const answers: unknown[] = [];
    const closed = hostile([enc({ t: 'seg', id: 1, size: 2 ** 40 }), enc({ t: 'seg', id: 1, size: 4096 })], answers);
    expect(await closed).toBe(1002); // the id refused once may not be handed over again
    expect(answers).toContainEqual(expect.objectContaining({ t: 'refused', of: 'seg', code: 'ENOSPC' }));
    expect(r.p.backend.child.exitCode).toBe(null);
    await pattern(r.p.dir);
  });
});

// The same inputs as the fuzzer's remote surface (fuzz/remote.ts), bounded and seeded.
describe('a seeded storm of hostile messages from token holders', () => {
  const r = remotePair();

  it('the backend lives, its fds come back, and its frontend keeps flipping', async () => {
    const rng = new Prng(20261202);
    const backendPid = r.p.backend.child.pid!;
    const baseline = fdCount(backendPid);
    let handled = 0;
    let responses = 0;
    for (let conn = 0; conn < 48; conn++) {
      const link = new RemoteLink(r.p);
      const dir = await link.dir;
      // Half the links set up a ring first, so that their requests reach the backend's ring server.
      if (conn % 2 === 0) for (const m of ringSetup(dir)) await link.send(msgpack.encode(m));
      for (let i = 0; i < 30; i++) {
        const t = remoteTemplate(rng, dir);
        if (!(await link.send(rng.chance(0.05) ? rng.bytes(rng.int(300)) : msgpack.encode(rng.chance(0.3) ? mutate(rng, t) : t)))) break;
      }
      await link.close();
      handled += link.handled;
      responses += link.responses;
    }
    // Deep enough to matter: many messages were handled, and ring requests were answered through the relay.
    expect(handled).toBeGreaterThan(150);
    expect(responses).toBeGreaterThan(0);
    // The links' teardown runs as their sockets close; fds settle back within a few turns of the event loop.
    for (let i = 0; i < 100 && fdCount(backendPid) > baseline + 2; i++) await new Promise((res) => setTimeout(res, 50));
    expect(fdCount(backendPid)).toBeLessThanOrEqual(baseline + 2);
    expect(r.p.backend.child.exitCode).toBe(null);
    await pattern(r.p.dir);
  });
});

describe('a hostile client of a remote frontend', () => {
  const r = remotePair();

  it('a client that truncates a buffer the frontend reads for the link does not take the frontend down', async () => {
    const card = Card.open(r.p.card);
    try {
      const out = await findOutput(card, 0);
      const { hdisplay: w, vdisplay: h } = out.mode;
      const fbs: number[] = [];
      let victim = -1;
      for (let i = 0; i < 2; i++) {
        const d = await card.createDumb(w, h, 32);
        const m = await card.mapDumbFd(d.handle);
        if (i === 1) victim = m.fd;
        else native.close(m.fd);
        fbs.push(await card.addFb2(w, h, XRGB8888.fourcc, d.handle, d.pitch));
      }
      await card.setCrtc(out.crtcId, fbs[0]!, 0, 0, [out.connector.connector_id], out.mode);
      native.truncate(victim, 0);
      native.close(victim);
      // The frontend compares the truncated pages with what it sent: its SIGBUS guard reads them as zeros.
      await card.pageFlip(out.crtcId, fbs[1]!, 1n);
      expect((await card.nextEvent(60_000)).userData).toBe(1n);
      await card.pageFlip(out.crtcId, fbs[0]!, 2n);
      expect((await card.nextEvent(60_000)).userData).toBe(2n);
      expect(r.p.frontend.child.exitCode).toBe(null);
    } finally {
      card.close();
    }
  });
});

describe('faults of a real network, through a proxy', () => {
  let proxy: FaultProxy;
  let s: Screen;
  const r = remotePair({
    frontendArgs: ['--frame-done-timeout', '1500', '--response-timeout', '600000'],
    route: async (url) => {
      proxy = new FaultProxy(Number(new URL(url).port));
      return `ws://127.0.0.1:${await proxy.listen()}`;
    },
  });
  beforeAll(async () => {
    s = await open(r.p.card);
  });
  afterAll(() => {
    s?.card.close();
    proxy?.close();
  });

  it('with 50 ms per chunk and a 256 KiB/s cap, flips keep completing', async () => {
    proxy.delayMs = 50;
    proxy.bytesPerSecond = 256 * 1024;
    for (let i = 0; i < 5; i++) await flip(s);
    proxy.delayMs = 0;
    proxy.bytesPerSecond = 0;
  });

  it('a stall: the flip is released by its frame-done timer, link-status goes Bad; after it, flips work', async () => {
    const before = await timeouts(s);
    proxy.stall();
    await flip(s);
    expect((await timeouts(s)) - before).toBe(1);
    expect(await linkStatus(s)).toBe(LINK_STATUS.BAD);
    proxy.resume();
    for (let i = 0; i < 3; i++) await flip(s);
  });

  it('backpressure: a stalled link carries the latest state of a buffer, not every stale one', async () => {
    // Twelve full redraws of a 1280x720 buffer with incompressible bytes while nothing moves: sending each would
    // be 12 frames; what is queued is the buffer's latest state, so after the stall far fewer cross the link.
    const d = await s.card.createDumb(1280, 720, 32);
    const map = await s.card.mapDumb(d.handle);
    const fb = await s.card.addFb2(1280, 720, XRGB8888.fourcc, d.handle, d.pitch);
    const frame = 1280 * 720 * 4;
    await flip(s);
    const before = proxy.upstreamBytes;
    proxy.stall();
    for (let i = 0; i < 12; i++) {
      randomFillSync(map.bytes);
      await s.card.call('MODE_DIRTYFB', { fb_id: fb, flags: 0, color: 0, num_clips: 0, clips: null });
    }
    proxy.resume();
    await flip(s); // its request leaves behind everything queued before it
    const sent = proxy.upstreamBytes - before;
    expect(sent).toBeGreaterThan(frame);
    expect(sent).toBeLessThan(6 * frame);
    // And what arrived is the latest state: showing the buffer now sends next to nothing, and its CRC is the client's.
    const beforeShow = proxy.upstreamBytes;
    await s.card.setCrtc(s.out.crtcId, fb, 0, 0, [s.out.connector.connector_id], s.out.mode);
    expect(proxy.upstreamBytes - beforeShow).toBeLessThan(frame / 10);
    const { hdisplay: w, vdisplay: h } = s.out.mode;
    const snap = await adminCall<{ crc: number }>(r.p.admin, { cmd: 'snapshot', connector: 0, path: join(r.p.backendDir, 'latest.png') });
    expect(snap.crc).toBe(frameCrc({ data: map.bytes, offset: 0, pitch: d.pitch, width: w, height: h, x: 0, y: 0, fourcc: XRGB8888.fourcc }));
    await s.card.setCrtc(s.out.crtcId, s.fbs[0]!, 0, 0, [s.out.connector.connector_id], s.out.mode);
  });

  it('a cut unplugs the device (ENODEV, a zombie card0); the restored path brings card1', async () => {
    proxy.cutLink();
    await r.p.frontend.waitLine(/backend lost .*card0 unplugged/);
    await expect(s.card.pageFlip(s.out.crtcId, s.fbs[0]!, 99n)).rejects.toMatchObject({ code: 'ENODEV' });
    proxy.restore();
    await r.p.frontend.waitLine(/frontend ready: .*card1/, 30_000);
    s.card.close();
    s = await open(join(r.p.dir, 'dri', 'card1'));
    await flip(s);
  });
});

describe('a hostile remote backend', () => {
  it('garbage, an unasked write into the frontend\'s memory and an oversized frame close the link; the frontend lives on', async () => {
    const attacks: ((ws: WebSocket) => void)[] = [
      (ws) => ws.send('not msgpack'),
      (ws) => ws.send(msgpack.encode({ t: 'data', seg: 1, spans: [0, 8], z: deflateRawSync(Buffer.alloc(8, 0xff)) })),
      (ws) => ws.send(msgpack.encode({ t: 'rsp', port: 1, pkt: Buffer.alloc(64) })),
      (ws) => ws.send(Buffer.alloc(3 * 1024 * 1024)),
    ];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    let n = 0;
    server.on('connection', (ws) => attacks[n++ % attacks.length]!(ws));
    const fe = startFrontend(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, 'any-token-will-do-here');
    try {
      await fe.frontend.waitLine(/waiting for the backend.*not a msgpack map/, 30_000);
      await fe.frontend.waitLine(/waiting for the backend.*EPROTO|waiting for the backend.*no GET_EDID buffer/, 30_000);
      await fe.frontend.waitLine(/waiting for the backend.*no ring's/, 30_000);
      await fe.frontend.waitLine(/waiting for the backend.*over 2097152 bytes/, 30_000);
      expect(fe.frontend.child.exitCode).toBe(null);
      expect(fe.frontend.lines.join('\n')).not.toMatch(/frontend ready|Error:|at .*\.js:\d+/);
    } finally {
      await fe.frontend.stop();
      server.close();
      rmSync(fe.dir, { recursive: true, force: true });
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
