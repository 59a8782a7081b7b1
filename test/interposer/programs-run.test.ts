// `pvdisplay run` itself: the environment and fake root of the contract with the interposer, the program's exit
// status (128 + signal when a signal ended it), signals passed on, the fake root gone afterwards, clear errors.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPair, type Pair } from '../../cli/processes.js';
import { PRELOAD } from '../../cli/commands/run.js';
import { drmProgramsWanted, runToEnd, runUnder, killLeftovers } from '../helpers/drm-programs.js';

const runDirs = (pair: Pair) => readdirSync(pair.dir).filter((n) => n.startsWith('run-'));

describe.skipIf(!drmProgramsWanted)('pvdisplay run', () => {
  let pair: Pair;
  beforeAll(async () => (pair = await startPair({ connectors: '320x240' })));
  afterAll(async () => {
    killLeftovers();
    await pair?.stop();
  });

  it('sets LD_PRELOAD, PVDISPLAY_RUNTIME_DIR and a fake root that lists the live card; removes it at exit', async () => {
    const script = 'echo "$LD_PRELOAD"; echo "$PVDISPLAY_RUNTIME_DIR"; echo "$PVDISPLAY_FAKE_ROOT"; ls "$PVDISPLAY_FAKE_ROOT/dev/dri"; readlink "$PVDISPLAY_FAKE_ROOT/sys/dev/char/226:0"';
    const r = await runToEnd(pair, ['sh', '-c', script], { LD_PRELOAD: '' });
    expect(r.code, r.stderr).toBe(0);
    const [preload, dir, root, cards, link] = r.stdout.split('\n');
    expect(preload).toBe(PRELOAD);
    expect(dir).toBe(pair.dir);
    expect(root!.startsWith(join(pair.dir, 'run-'))).toBe(true);
    expect(cards).toBe('card0');
    expect(link).toBe('../../devices/pvdisplay/pvdisplay.0/drm/card0');
    expect(runDirs(pair)).toEqual([]);
  });

  it('exits with the program status, or 128 + the signal that ended it', async () => {
    expect((await runToEnd(pair, ['sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await runToEnd(pair, ['sh', '-c', 'kill -KILL $$'])).code).toBe(137);
  });

  it('passes SIGINT and SIGTERM on to the program', async () => {
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      // A program that handles the signals itself: a shell started in the background by a non-interactive shell
      // (as CI may run us) inherits SIGINT ignored, and a shell cannot undo that, but node's handler can.
      const prog = "process.on('SIGINT',()=>process.exit(130));process.on('SIGTERM',()=>process.exit(143));console.log('ready');setInterval(()=>{},1000)";
      const p = runUnder(pair, [process.execPath, '-e', prog]);
      await p.waitFor(/ready/);
      // Under heavy load a first signal was once lost (cause not found yet, see the closing note of stop 14): the
      // signal is sent again every 2 s until the program ends; what is asserted is the status it ends with.
      p.kill(sig);
      const again = setInterval(() => p.kill(sig), 2000);
      try {
        expect((await p.exited).code).toBe(code);
      } finally {
        clearInterval(again);
      }
    }
    expect(runDirs(pair)).toEqual([]);
  });

  it('without a frontend, with a card that is not served, or with a missing program: a clear error', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pvd-empty-'));
    try {
      const r = await runToEnd({ ...pair, dir: empty }, ['true']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/pvdisplay: ENOENT: no device node in .* is served: is the frontend running\?/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const p = runUnder(pair, ['true'], {}, ['--card', '5']);
    p.child.stdin!.end();
    expect((await p.exited).code).toBe(1);
    expect(p.stderr.join('\n')).toMatch(/card5 is not served/);
    const missing = await runToEnd(pair, ['/nonexistent/program']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/pvdisplay: ENOENT: cannot run \/nonexistent\/program/);
    expect(runDirs(pair)).toEqual([]);
  });
});
