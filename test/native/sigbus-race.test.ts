// The SIGBUS guard's table while slots change under the handler (c/sigbus-race.cc): a registration landing between
// the handler's reads of one slot must never pair one mapping's start with another's length (a false match zeroes
// memory outside any guarded mapping). The program is built from the table's own source and drives it directly.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('SIGBUS guard table under concurrent registration', () => {
  it('every fault in the guarded page is absorbed by its own slot while 256 others flip under the handler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-sigbus-race-'));
    try {
      const exe = join(dir, 'sigbus-race');
      const native = join(ROOT, 'shared/native');
      execFileSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O2', `-I${native}`, '-o', exe, join(ROOT, 'test/native/c/sigbus-race.cc'), join(native, 'sigbus_table.cc'), '-lrt']);
      // Without the seqlock, 50,000 rounds give about ten false matches (9 and 15 in two runs).
      // Not spawnSync: a program that hangs would block this worker for good; awaited, the test's timeout ends it.
      const child = spawn(exe, ['50000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      onTestFinished(() => void child.kill('SIGKILL'));
      const out = { stdout: '', stderr: '' };
      child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
      const [status] = (await once(child, 'close')) as [number | null];
      const r = { ...out, status };
      expect(r.stderr).toBe('');
      const m = /^rounds 50000 mismatches (\d+) alarms (\d+)$/m.exec(r.stdout);
      expect(m).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(100);
      expect(Number(m![1])).toBe(0);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
