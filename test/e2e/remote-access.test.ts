// Who may use the remote transport and what a hostile peer gets: the token is required (401 without it or with a
// wrong one), plain ws:// off loopback is refused, garbage, oversized, malformed and seeded mutated messages close
// that link while the backend keeps serving (its fds come back), a client truncating a buffer the frontend reads
// does not take it down, and a hostile backend cannot crash a frontend or write into its memory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import msgpack from 'msgpack-lite';
import WebSocket, { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { fdCount, run } from '../../cli/processes.js';
import { Prng } from '../../fuzz/prng.js';
import { mutate } from '../../fuzz/values.js';
import { RemoteLink, remoteTemplate, ringSetup } from '../../fuzz/remote.js';
import { Card } from '../../frontend/client/card.js';
import * as native from '../../shared/native/index.js';
import { findOutput } from '../../frontend/client/output.js';
import { XRGB8888 } from '../../protocol/formats.js';
import { pattern, remotePair, startFrontend } from '../helpers/remote.js';
import { until } from '../helpers/until.js';

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
    // An error quoting the peer's multi-byte text: the close reason must stay within 123 bytes (ws throws past that,
    // which killed the backend before the reason was cut by bytes).
    expect(await hostile([enc({ t: '€'.repeat(200) })])).toBe(1002);
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
    for (let conn = 0; conn < 48; conn++) {
      // No deadline on a sync: how many the storm's links got answered must not depend on the machine's speed.
      const link = new RemoteLink(r.p, null);
      const dir = await link.dir;
      // Half the links set up a ring first, so that their requests reach the backend's ring server.
      if (conn % 2 === 0) for (const m of ringSetup(dir)) await link.send(msgpack.encode(m));
      for (let i = 0; i < 30; i++) {
        const t = remoteTemplate(rng, dir);
        if (!(await link.send(rng.chance(0.05) ? rng.bytes(rng.int(300)) : msgpack.encode(rng.chance(0.3) ? mutate(rng, t) : t)))) break;
      }
      await link.close();
      handled += link.handled;
    }
    // Deep enough to matter: many messages were handled. Whether a storm link's ring answered before it was cut is
    // the scheduler's business, so one more link sets up a ring and waits for the answer to a request of its own.
    expect(handled).toBeGreaterThan(150);
    const link = new RemoteLink(r.p, null);
    for (const m of ringSetup(await link.dir)) expect(await link.send(msgpack.encode(m))).toBe(true);
    const answered = link.nextResponse();
    const pkt = Buffer.alloc(64);
    pkt[2] = 0xee; // an operation displif does not have: the ring server answers it with -EINVAL
    expect(await link.send(msgpack.encode({ t: 'req', port: 1, pkt }))).toBe(true);
    expect(await answered).toBe(true);
    await link.close();
    // The links' teardown runs as their sockets close; fds settle back within a few turns of the event loop.
    await until(() => fdCount(backendPid) <= baseline + 2, 50);
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
