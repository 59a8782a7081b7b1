// The command line as a user meets it: help texts, `info`, and a clean stop on Ctrl-C with no sockets left.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, procOf, ROOT, run, startPair } from '../../cli/processes.js';
import { adminCall } from '../../cli/admin-client.js';
import { NODE_FLAGS } from '../../cli/node-flags.js';

describe('pvdisplay CLI', () => {
  // cli/node-flags.ts: the same node flags through the shebang and through our launchers alike.
  it('runs with NODE_FLAGS (a 16 MiB semi-space) whether started as a command (its shebang) or by the launchers', async () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    const env = { NODE_OPTIONS: `--require ${join(ROOT, 'test/e2e/fixtures/new-space.cjs')}` };
    const launched = run(['--version'], env);
    const direct = procOf(spawn(CLI, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
    for (const p of [launched, direct]) {
      expect((await p.exited()).code).toBe(0);
      expect(p.lines).toContain(`new space ${16 * 1024 * 1024}`);
    }
  });

  it.each(['backend', 'frontend', 'demo', 'info', 'pattern', 'snapshot', 'crc', 'record', 'fault'])('%s --help describes its options', async (cmd) => {
    const p = run([cmd, '--help']);
    expect((await p.exited()).code).toBe(0);
    expect(p.lines.join('\n')).toMatch(/Usage: pvdisplay/);
    expect(p.lines.join('\n')).toMatch(/--runtime-dir|--frames/);
  });

  it('info prints connectors, modes, CRTCs, planes and formats; --json for scripts', async () => {
    const pair = await startPair({ connectors: '1024x768,640x480' });
    try {
      const text = run(['info', '--runtime-dir', pair.dir]);
      expect((await text.exited()).code).toBe(0);
      const out = text.lines.join('\n');
      expect(out).toMatch(/connected\s+Virtual-1/);
      // Modes as modetest lists them: an index for `modetest -s`, refresh to two decimals, flags and types by name.
      expect(out).toMatch(/mode #0 1024x768 60\.\d\d Hz {2}clock \d+ kHz .* flags phsync, nvsync; type preferred, driver/);
      expect(out).toMatch(/mode #0 640x480 60\.\d\d Hz/);
      expect(out).toMatch(/formats: RG16 RG24 XR24 AR24 XR12 AR12 XR15 AR15 YUYV/);
      expect(out).toMatch(/DRM_CAP_DUMB_BUFFER = 1/);
      expect(out).toMatch(/DRM_CLIENT_CAP_ATOMIC supported/);
      // Property kinds with their allowed values, and the blobs decoded.
      expect(out).toMatch(/\d+ DPMS: enum \{On, Standby, Suspend, Off\} = On/);
      expect(out).toMatch(/\d+ ACTIVE: range \[0, 1\], atomic = 0/);
      expect(out).toMatch(/EDID: blob, immutable = blob \d+ \(128 bytes\): PVD product 0x0001 serial 0x[0-9a-f]{8} "pvdisplay", \d+x\d+ mm, .*preferred 1024x768 60 Hz/);
      expect(out).toMatch(/IN_FORMATS: blob, immutable = blob \d+ \(\d+ bytes\): LINEAR × RG16 RG24 XR24/);
      const json = run(['info', '--runtime-dir', pair.dir, '--json']);
      expect((await json.exited()).code).toBe(0);
      // drm_info -j's schema (test/interposer/programs-drm-info.test.ts compares the two), keyed by the node's path;
      // pvdisplay's own figures under "pvdisplay" keys.
      type Dev = { connectors: { pvdisplay: { link_status: string } }[]; crtcs: { pvdisplay: { frame_done_timeouts: number; fence_timeouts: number } }[]; planes: unknown[] };
      const all = JSON.parse(json.stdout.join('\n')) as Record<string, Dev>;
      expect(Object.keys(all)).toEqual([pair.card]);
      const info = all[pair.card]!;
      expect([info.connectors.length, info.crtcs.length, info.planes.length]).toEqual([2, 2, 2]);
      expect(info.connectors.map((c) => c.pvdisplay.link_status)).toEqual(['Good', 'Good']);
      expect(info.crtcs.map((c) => c.pvdisplay)).toEqual([0, 1].map(() => ({ frame_done_timeouts: 0, fence_timeouts: 0, pending_vblank_waits: 0 })));
    } finally {
      await pair.stop();
    }
  });

  it.each([['snapshot'], ['crc'], ['record', '-o', '/tmp/x'], ['fault', 'clear']])('%s without a backend is a clear ENOENT', async (...args) => {
    const p = run([...args, '--runtime-dir', '/nonexistent-pvdisplay']);
    expect((await p.exited()).code).toBe(1);
    expect(p.lines.join('\n')).toMatch(/ENOENT: .*admin\.sock does not exist: is the backend running/);
  });

  it('bad options are EINVAL before anything is sent', async () => {
    for (const args of [['fault', 'explode'], ['crc', '--frames', 'x'], ['backend', '--viewer', 'host:port:1']]) {
      const p = run([...args, '--runtime-dir', '/nonexistent-pvdisplay']);
      expect((await p.exited()).code).toBe(1);
      expect(p.lines.join('\n')).toMatch(/EINVAL/);
    }
  });

  it('info on a missing device is a clear ENOENT', async () => {
    const p = run(['info', '--runtime-dir', '/nonexistent-pvdisplay']);
    expect((await p.exited()).code).toBe(1);
    expect(p.lines.join('\n')).toMatch(/ENOENT/);
  });

  it('after a reconnect info and pattern default to the live card; fault and snapshot speak plainly', async () => {
    const pair = await startPair({ connectors: '320x200' });
    try {
      await adminCall(pair.admin, { cmd: 'fault', kind: 'close' });
      await pair.frontend.waitLine(/frontend ready: .*card1/);
      const info = run(['info', '--runtime-dir', pair.dir]);
      expect((await info.exited()).code).toBe(0);
      expect(info.stdout[0]).toMatch(/dri\/card1: pvdisplay/);
      const named = run(['info', '--runtime-dir', pair.dir, '--card', 'card0']);
      expect((await named.exited()).code).toBe(1);
      expect(named.lines.join('\n')).toMatch(/ENOENT: .*card0 is not served: is the frontend running/);
      const noOp = run(['fault', 'errno', '--runtime-dir', pair.dir, '--errno', 'EIO']);
      expect((await noOp.exited()).code).toBe(1);
      expect(noOp.lines.join('\n')).toMatch(/EINVAL: fault errno needs --op .* and --errno/);
      const stall = run(['fault', 'stall', '--runtime-dir', pair.dir, '--ms', '10']);
      expect((await stall.exited()).code).toBe(0);
      expect(stall.stdout).toEqual(['stall: domid 2, stalled true, ms 10']);
      const json = run(['fault', 'clear', '--runtime-dir', pair.dir, '--json']);
      expect((await json.exited()).code).toBe(0);
      expect(JSON.parse(json.stdout[0]!)).toMatchObject({ disarmed: expect.any(Number) });
      const client = run(['pattern', '--runtime-dir', pair.dir, '--frames', '1', '--hold']);
      await client.waitLine(/^done:/);
      const snap = run(['snapshot', '--runtime-dir', pair.dir, '-o', join(pair.dir, 'no', 'such', 'x.png')]);
      expect((await snap.exited()).code).toBe(1);
      expect(snap.lines.join('\n')).toMatch(/ENOENT: cannot write \S+\/no\/such\/x\.png: directory \S+\/no\/such does not exist$/);
      await client.stop('SIGINT');
    } finally {
      await pair.stop();
    }
  });

  it('a backend whose viewer cannot listen exits with why and leaves no socket; a frontend says what it waits for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-cli-start-'));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as AddressInfo).port;
      for (const [viewer, why] of [['foo:1', /--viewer foo:1: cannot listen there \(unknown host\)/], [String(port), /EADDRINUSE: --viewer \d+: cannot listen there/]] as const) {
        const be = run(['backend', '--runtime-dir', dir, '--viewer', viewer]);
        expect((await be.exited()).code).toBe(1);
        expect(be.lines.join('\n')).toMatch(why);
        expect(readdirSync(dir)).toEqual([]);
      }
      // A backend killed outright leaves its socket; a frontend on that dir says why it waits, once, then serves.
      const killed = run(['backend', '--runtime-dir', dir]);
      await killed.waitLine(/backend listening/);
      await killed.stop('SIGKILL');
      const fe = run(['frontend', '--runtime-dir', dir]);
      await fe.waitLine(/waiting for the backend at \S+backend\.sock: nothing listens on backend\.sock/);
      const be = run(['backend', '--runtime-dir', dir]);
      await fe.waitLine(/frontend ready/);
      // Said when the reason changes, not at each retry (every 100 ms). The new backend removes the stale socket,
      // binds, then listens: a retry may meet no socket, or one not listening yet, in between; each is said once.
      const waits = fe.lines.filter((l) => /waiting for the backend/.test(l));
      expect(waits[0]).toMatch(/nothing listens on backend\.sock/);
      expect(waits.length).toBeLessThanOrEqual(3);
      for (let i = 1; i < waits.length; i++) expect(waits[i]).not.toBe(waits[i - 1]);
      await fe.stop();
      await be.stop();
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C stops backend and frontend cleanly, leaving no sockets', async () => {
    const pair = await startPair();
    expect(await pair.frontend.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(await pair.backend.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(existsSync(join(pair.dir, 'backend.sock'))).toBe(false);
    expect(existsSync(join(pair.dir, 'admin.sock'))).toBe(false);
    expect(readdirSync(join(pair.dir, 'dri'))).toEqual([]);
  });
});
