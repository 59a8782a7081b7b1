// The flip round trip of a C program through the LD_PRELOAD interposer (drmModePageFlip, poll, drmHandleEvent:
// test/interposer/c/flip-events.c in its timed mode, built here with libdrm), on the same kind of pair as the
// TypeScript client's row. Undefined
// when the interposer or libdrm's headers are not installed (the reason is returned).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, run } from '../cli/processes.js';
import { PRELOAD } from '../cli/commands/run.js';
import { WARMUP, withPair } from './flip-loop.js';
import { summarise, type Summary } from './stats.js';

export async function interposerFlips(count: number, o: { width: number; height: number }): Promise<Summary | string> {
  if (!existsSync(PRELOAD)) return `the interposer is not built (${PRELOAD}; needs libdrm-dev)`;
  if (!existsSync('/usr/include/xf86drm.h') && !existsSync('/usr/include/libdrm/drm.h')) return 'libdrm-dev is not installed';
  const out = mkdtempSync(join(tmpdir(), 'pvd-bench-c-'));
  try {
    const bin = join(out, 'flip-events');
    try {
      execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-I/usr/include/libdrm', '-o', bin, join(ROOT, 'test', 'interposer', 'c', 'flip-events.c'), '-ldrm'], { stdio: 'pipe' });
    } catch (e) {
      return `cannot build test/interposer/c/flip-events.c: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}`;
    }
    return await withPair({ ...o, unpaced: true, backendArgs: ['--no-crc'] }, async (pair) => {
      const p = run(['run', '--runtime-dir', pair.dir, '--', bin, String(count + WARMUP), String(WARMUP)]);
      const exit = await p.exited();
      if (exit.code !== 0) throw new Error(`flip-events exited ${exit.code ?? exit.signal}: ${p.lines.slice(-5).join('\n')}`);
      // The exit can be seen before the last lines of its stdout are read.
      for (let i = 0; i < 200 && p.stdout.length < count; i++) await sleep(10);
      // Every line but the last ("flips N in order") is one flip's round trip.
      return summarise(p.stdout.map(Number).filter((v) => Number.isFinite(v)));
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
