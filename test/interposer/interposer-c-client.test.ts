// C clients through the LD_PRELOAD interposer under `pvdisplay run`: one doing 1,000 rounds of bad-pointer and
// bad-argument ioctls (each errno checked in C, the program must keep running and leak no fd), one doing a
// modeset and page flips through libdrm with drmHandleEvent reading FLIP_COMPLETE events in order, one that sees
// the backend go away (ENODEV, then a quiet fd as on an unplugged kernel device). The C sources
// are in test/interposer/c/ and are built here with warnings as errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startPair, type Pair } from '../../cli/processes.js';
import { PRELOAD } from '../../cli/commands/run.js';
import { backendConnector, runToEnd, runUnder } from '../helpers/drm-programs.js';

const SRC = join(ROOT, 'test', 'interposer', 'c');
const HEADERS = '/usr/include/libdrm/drm_mode.h';
const wanted = process.env.PVDISPLAY_REQUIRE_DRM_PROGRAMS === '1' || (existsSync(PRELOAD) && existsSync(HEADERS));

function build(out: string, name: string, libs: string[] = []): string {
  const bin = join(out, name);
  execFileSync('cc', ['-Wall', '-Wextra', '-Werror', '-I/usr/include/libdrm', '-o', bin, join(SRC, `${name}.c`), ...libs]);
  return bin;
}

describe.skipIf(!wanted)('C clients through the interposer', () => {
  let pair: Pair;
  let out: string;
  let bad: string;
  let flips: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'pvd-cclient-'));
    bad = build(out, 'bad-ioctls');
    flips = build(out, 'flip-events', ['-ldrm']);
    pair = await startPair();
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('1,000 rounds of bad pointers and bad arguments give the kernel errnos; the program keeps running without leaking fds', async () => {
    const r = await runToEnd(pair, [bad]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^rounds 1000 fds (\d+)->\1 failures 0$/m);
    expect(r.code).toBe(0);
  }, 240_000);

  it('a libdrm client sets a mode and sees its FLIP_COMPLETE events in order through poll + drmHandleEvent', async () => {
    const before = (await backendConnector(pair)).flips;
    const r = await runToEnd(pair, [flips, '30']);
    expect(r.stdout).toContain('flips 30 in order');
    expect(r.code).toBe(0);
    // the backend showed them: each flip of the program is one the backend counted
    expect((await backendConnector(pair)).flips - before).toBeGreaterThanOrEqual(30);
  }, 120_000);
});

describe.skipIf(!wanted)('the backend going away under a C client', () => {
  let pair: Pair;
  let out: string;
  let unplug: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'pvd-cunplug-'));
    unplug = build(out, 'unplug', ['-ldrm']);
    pair = await startPair();
  }, 60_000);
  afterAll(async () => {
    await pair?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('ioctls fail with ENODEV, owed events are readable, then the fd is quiet (no EOF busy loop); nothing hangs', async () => {
    const p = runUnder(pair, [unplug]);
    await p.waitFor(/^lit$/);
    pair.backend.child.kill('SIGKILL');
    await pair.frontend.waitLine(/backend lost/);
    p.press();
    await p.waitFor(/^enodev events \d+ quiet$/);
    const exit = await p.exited;
    expect(p.stderr.join('\n')).toBe('');
    expect(exit.code).toBe(0);
    expect(pair.frontend.child.exitCode).toBe(null);
  }, 120_000);
});
