// Screens over VNC on loopback: the backend prints each screen's port and lists it in the admin API; a screen with
// no frame yet is black; Debian's vncsnapshot (a real client) and the test's own RFB client at 3.3, 3.7 and 3.8,
// over Raw and Tight, receive what the backend's own snapshot holds; a client sending garbage is closed alone and
// another client carries on; a screen's clients are bounded; a client that drops mid-update or a frontend that
// leaves costs the backend nothing; a port in use fails the backend's start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { adminCall } from '../../cli/admin-client.js';
import { run } from '../../cli/processes.js';
import { MAX_CLIENTS, type VncScreenStats } from '../../backend/scanout/vnc/vnc-screen.js';
import { knownImageMismatches } from '../helpers/known-image.js';
import { FFMPEG, VNCSNAPSHOT, wanted } from '../helpers/requires.js';
import { RfbClient } from '../helpers/rfb-client.js';
import { backendSnapshot, startVncPair, type VncPair } from '../helpers/vnc-pair.js';

const exec = promisify(execFile);
const W = 640;
const H = 480;

/** Largest difference of 8x8 block means, per channel, between two RGBA images (JPEG keeps block means). */
function worstBlockMean(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  let worst = 0;
  for (let by = 0; by + 8 <= height; by += 8) {
    for (let bx = 0; bx + 8 <= width; bx += 8) {
      for (let ch = 0; ch < 3; ch++) {
        let d = 0;
        for (let y = by; y < by + 8; y++) for (let x = bx; x < bx + 8; x++) d += a[(y * width + x) * 4 + ch]! - b[(y * width + x) * 4 + ch]!;
        worst = Math.max(worst, Math.abs(d / 64));
      }
    }
  }
  return worst;
}

/** A JPEG as RGBA8, decoded by ffmpeg. */
async function decodeJpeg(path: string, width: number, height: number): Promise<Uint8Array> {
  const { stdout } = await exec('ffmpeg', ['-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  expect(stdout.length).toBe(width * height * 4);
  return new Uint8Array(stdout);
}

async function vncStats(v: VncPair): Promise<VncScreenStats> {
  return (await adminCall<{ screens: VncScreenStats[] }>(v.pair.admin, { cmd: 'vnc' })).screens[0]!;
}

describe('VNC on loopback', () => {
  let v: VncPair;
  let pattern: ReturnType<typeof run> | undefined;
  beforeAll(async () => {
    v = await startVncPair(`${W}x${H}`);
  });
  afterAll(async () => {
    await pattern?.stop('SIGINT');
    await v?.pair.stop();
  });

  it('prints the port of each screen, first free then taken by the frontend, and lists it in the admin API', async () => {
    expect(v.lines).toEqual([`vnc: slot 0 (no frontend yet) connector 0 on 127.0.0.1:${v.port} (security none)`, `vnc: domain 1 connector 0 on 127.0.0.1:${v.port} (security none)`]);
    expect(await vncStats(v)).toEqual({ host: '127.0.0.1', port: v.port, slot: 0, connector: 0, domid: 1, security: 'none', clients: [], refused: 0 });
  });

  it('before the first frame the screen is black, at the connector size', async () => {
    const c = await RfbClient.connect(v.port);
    try {
      expect([c.width, c.height, c.name]).toEqual([W, H, 'pvdisplay domain 1 connector 0']);
      c.request(false);
      const u = await c.update();
      expect(u.rects.length).toBe(Math.ceil(W / 64) * Math.ceil(H / 64));
      expect(c.rgba.every((b, i) => b === (i % 4 === 3 ? 0xff : 0))).toBe(true);
    } finally {
      c.close();
    }
  });

  it('Raw and Tight at RFB 3.3, 3.7 and 3.8 give exactly the pixels of the backend snapshot', async () => {
    pattern = run(['pattern', '--runtime-dir', v.pair.dir, '--image', 'known:42', '--hold']);
    await pattern.waitLine(/shown known image/);
    const snap = await backendSnapshot(v.pair);
    expect(knownImageMismatches(snap.rgba, 42, 0, 0, W, H)).toBe(0);
    for (const version of ['3.3', '3.7', '3.8'] as const) {
      for (const [encodings, used] of [[[0], 0], [[7, 0], 7]] as const) {
        const c = await RfbClient.connect(v.port, { version });
        try {
          c.setEncodings([...encodings]);
          c.request(false);
          const u = await c.update();
          expect(new Set(u.rects.map((r) => r.encoding))).toEqual(new Set([used]));
          expect(Buffer.from(c.rgba).equals(Buffer.from(snap.rgba))).toBe(true);
        } finally {
          c.close();
        }
      }
    }
  });

  it.runIf(wanted(VNCSNAPSHOT, 'vncsnapshot capture') && wanted(FFMPEG, 'vncsnapshot capture (JPEG decoding)'))('vncsnapshot over Raw and Tight captures what the backend snapshot holds', async () => {
    const snap = await backendSnapshot(v.pair);
    for (const encoding of ['raw', 'tight']) {
      const jpeg = join(v.pair.dir, `${encoding}.jpg`);
      await exec('vncsnapshot', ['-quiet', '-quality', '100', '-encodings', encoding, `127.0.0.1::${v.port}`, jpeg]);
      const got = await decodeJpeg(jpeg, W, H);
      expect(worstBlockMean(got, snap.rgba, W, H)).toBeLessThan(4);
      // The same comparison tells another image apart.
      const other = new Uint8Array(snap.rgba);
      other.copyWithin(0, W * 4 * 8);
      expect(worstBlockMean(got, other, W, H)).toBeGreaterThan(20);
    }
  });

  it('garbage from one client closes it alone; a client watching meanwhile still gets exact updates', async () => {
    const watcher = await RfbClient.connect(v.port);
    const refused0 = (await vncStats(v)).refused;
    const garbage: ((c: RfbClient) => Promise<void>)[] = [
      async (c) => c.write('GET / HTTP/1.1\r\n\r\n'),
      async (c) => c.write(Buffer.alloc(4096, 0xff)),
      async (c) => {
        await c.handshake({});
        await c.init();
        c.write(Buffer.from([9, 1, 2, 3]));
      },
      async (c) => {
        await c.handshake({});
        await c.init();
        c.write(Buffer.from([2, 0, 0xff, 0xff]));
      },
      async (c) => {
        await c.handshake({});
        await c.init();
        c.write(Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
      },
      async (c) => {
        await c.handshake({});
        await c.init();
        // colour map
        c.write(Buffer.from([0, 0, 0, 0, 8, 8, 0, 0, 0, 7, 0, 7, 0, 3, 0, 3, 6, 0, 0, 0]));
      },
      async (c) => {
        await c.handshake({ security: 2 });
      },
    ];
    for (const send of garbage) {
      const c = await RfbClient.open(v.port);
      await send(c).catch(() => undefined);
      await c.closed();
    }
    const stats = await vncStats(v);
    expect(stats.refused - refused0).toBe(garbage.length);
    expect(stats.clients.map((c) => c.id)).toHaveLength(1);
    // Seeded random bytes after a good handshake: each client is closed or carries on; none reaches the backend.
    let seed = 0x5eed;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 40; i++) {
      const c = await RfbClient.connect(v.port);
      c.write(Buffer.from(Array.from({ length: 1 + random() * 8 }, random)));
      c.close();
    }
    watcher.setEncodings([7]);
    watcher.request(false);
    await watcher.update();
    expect(knownImageMismatches(watcher.rgba, 42, 0, 0, W, H)).toBe(0);
    watcher.close();
    expect(v.pair.backend.child.exitCode).toBeNull();
  });

  it('well-formed input a viewer has no use for (keys, pointer, cut text) is read and dropped', async () => {
    const c = await RfbClient.connect(v.port);
    c.write(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x41, 5, 1, 0, 10, 0, 20]));
    c.write(Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0x10, 0]), Buffer.alloc(4096, 0x61)]));
    c.request(false);
    await c.update();
    expect(knownImageMismatches(c.rgba, 42, 0, 0, W, H)).toBe(0);
    c.close();
  });

  it('a screen takes 16 clients: one more is closed on connect, and gets in once one has left', async () => {
    const clients = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => RfbClient.connect(v.port)));
    try {
      const extra = await RfbClient.open(v.port);
      await expect(extra.read(12)).rejects.toThrow(/closed/);
      clients.pop()!.close();
      while ((await vncStats(v)).clients.length === MAX_CLIENTS) await new Promise((r) => setTimeout(r, 10));
      (await RfbClient.connect(v.port)).close();
    } finally {
      for (const c of clients) c.close();
    }
    // The next test needs the slots back.
    while ((await vncStats(v)).clients.length > 0) await new Promise((r) => setTimeout(r, 10));
  });

  it('clients that drop mid-update, many at once, leave the backend serving', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => RfbClient.connect(v.port)));
    for (const c of clients) {
      c.request(false);
      c.close();
    }
    const c = await RfbClient.connect(v.port);
    c.request(false);
    await c.update();
    expect(knownImageMismatches(c.rgba, 42, 0, 0, W, H)).toBe(0);
    c.close();
  });
});

describe('VNC start', () => {
  it('a port in use fails the start with EADDRINUSE, leaving no backend.sock behind', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'pvd-vnc-'));
    try {
      const b = run(['backend', '--runtime-dir', dir, '--connectors', '64x64', '--vnc', `127.0.0.1:${port}`]);
      expect((await b.exited()).code).toBe(1);
      expect(b.lines.join('\n')).toMatch(new RegExp(`EADDRINUSE: --vnc 127\\.0\\.0\\.1:${port}: cannot listen there`));
      expect(existsSync(join(dir, 'backend.sock'))).toBe(false);
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether `port` on loopback can be listened on now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A base port with `count - 1` free ones after it, below the kernel's ephemeral range: the ports there are handed
 * to no connection or port-0 listener (those of parallel tests took one of the run once), only to explicit binds.
 */
async function freePortRun(count: number): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (let base = Math.max(1024, low - 4096 + (process.pid % 2048)); base + count < low; base += count) {
    let free = true;
    for (let p = base; free && p < base + count; p++) free = await bindable(p);
    if (free) return base;
  }
  throw new Error(`no ${count} free ports below ${low}`);
}

describe('VNC ports of several frontends', () => {
  it('connector c of the frontend in slot s is on base + s * connectors + c; a slot past 0 closes when its frontend leaves', async () => {
    const base = await freePortRun(4);
    const v = await startVncPair('64x64,32x32', `127.0.0.1:${base}`);
    const second = run(['frontend', '--runtime-dir', v.pair.dir]);
    try {
      await v.pair.backend.waitLine(/^vnc: domain 2 connector 1 on /);
      const lines = v.pair.backend.lines.filter((l) => /^vnc: domain/.test(l));
      expect(lines).toEqual([0, 1, 2, 3].map((i) => `vnc: domain ${1 + (i >> 1)} connector ${i & 1} on 127.0.0.1:${base + i} (security none)`));
      const c = await RfbClient.connect(base + 3);
      expect([c.width, c.height, c.name]).toEqual([32, 32, 'pvdisplay domain 2 connector 1']);
      await second.stop();
      await c.closed();
      const left = (await adminCall<{ screens: VncScreenStats[] }>(v.pair.admin, { cmd: 'vnc' })).screens;
      expect(left.map((s) => [s.slot, s.connector, s.port, s.domid])).toEqual([[0, 0, base, 1], [0, 1, base + 1, 1]]);
    } finally {
      await second.stop();
      await v.pair.stop();
    }
  });
});

describe('VNC and a frontend that goes away', () => {
  it('the screen keeps its last frame, its slot is free and the next frontend takes its port', async () => {
    const v = await startVncPair('64x64');
    try {
      const pattern = run(['pattern', '--runtime-dir', v.pair.dir, '--image', 'known:7', '--hold']);
      await pattern.waitLine(/shown known image/);
      const c = await RfbClient.connect(v.port);
      c.request(false);
      await c.update();
      expect(knownImageMismatches(c.rgba, 7, 0, 0, 64, 64)).toBe(0);
      await pattern.stop('SIGINT');
      await v.pair.frontend.stop();
      // The reconcile runs once a second: the slot shows no frontend once it has.
      while ((await vncStats(v)).domid !== null) await new Promise((r) => setTimeout(r, 100));
      c.request(false);
      await c.update();
      expect(knownImageMismatches(c.rgba, 7, 0, 0, 64, 64)).toBe(0);
      const fe = run(['frontend', '--runtime-dir', v.pair.dir]);
      try {
        expect(await v.pair.backend.waitLine(/^vnc: domain 2 connector 0/)).toBe(`vnc: domain 2 connector 0 on 127.0.0.1:${v.port} (security none)`);
      } finally {
        c.close();
        await fe.stop();
      }
    } finally {
      await v.pair.stop();
    }
  });
});
