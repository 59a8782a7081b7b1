// The runtime dir holds the sockets that drive the display, so the commands refuse one that others could reach
// (XDG_RUNTIME_DIR rules, as ssh does for its files) and fail at once, with a clear message, on one they cannot use.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/processes.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'pvd-rtdir-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

async function refused(cmd: string, dir: string): Promise<string> {
  // The frontend would otherwise wait this long for a backend: an exit shows the dir was refused first.
  const p = run([cmd, '--runtime-dir', dir, ...(cmd === 'frontend' ? ['--wait', '600000'] : [])]);
  const { code } = await p.exited();
  expect(code).toBe(1);
  return p.lines.join('\n');
}

describe('the runtime dir', () => {
  for (const cmd of ['backend', 'frontend']) {
    it(`${cmd}: a dir open to group or others is refused`, async () => {
      const wide = mkdtempSync(join(base, 'wide-'));
      chmodSync(wide, 0o755);
      expect(await refused(cmd, wide)).toMatch(/EPERM: runtime dir .* has mode 0755/);
    });

    it(`${cmd}: a symlink is refused`, async () => {
      const real = mkdtempSync(join(base, 'real-'));
      const link = join(base, 'link');
      symlinkSync(real, link);
      expect(await refused(cmd, link)).toMatch(/ENOTDIR: runtime dir .*link is not/);
    });

    it(`${cmd}: a dir that cannot be created (/proc/x) fails at once instead of waiting`, async () => {
      expect(await refused(cmd, '/proc/pvdisplay-x')).toMatch(/ENOENT: cannot create the runtime dir \/proc\/pvdisplay-x/);
    });

    it.runIf(process.getuid?.() === 0)(`${cmd}: a dir owned by another user is refused`, async () => {
      const other = mkdtempSync(join(base, 'other-'));
      chownSync(other, 12345, 12345);
      expect(await refused(cmd, other)).toMatch(/EPERM: runtime dir .* is owned by uid 12345/);
    });
  }
});
