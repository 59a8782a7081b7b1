// Which device node a command means when none is named: the frontend's live card. After a backend loss the
// zombie's node is gone and the frontend serves the next number (card1, card2, …), so the highest-numbered cardN in
// dri/ that something listens on is the one in service.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pvError } from '../shared/errors.js';

function cardsIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^card\d+$/.test(n)).sort((a, b) => Number(b.slice(4)) - Number(a.slice(4)));
}

/**
 * The socket paths something listens on, from /proc/net/unix (flag __SO_ACCEPTCON). Asking the kernel instead of
 * connecting matters: a probing connection would be an open of the device, and the first open becomes DRM master.
 */
function listening(): Set<string> {
  const paths = new Set<string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && (parseInt(f[3]!, 16) & 0x10000) !== 0) paths.add(resolve(f.slice(7).join(' ')));
  }
  return paths;
}

/** The path of `name` in runtimeDir/dri, or of the live card; waits up to `waitMs` for one to serve. */
export async function resolveCard(runtimeDir: string, name: string | undefined, waitMs = 0): Promise<string> {
  const dir = join(runtimeDir, 'dri');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = listening();
    const found = (name === undefined ? cardsIn(dir) : [name]).find((n) => live.has(resolve(dir, n)));
    if (found) return join(dir, found);
    if (Date.now() >= deadline) {
      const what = name === undefined ? `no device node in ${dir} is served` : `${join(dir, name)} is not served`;
      throw pvError('ENOENT', `${what}: is the frontend running? (pvdisplay frontend --runtime-dir ${runtimeDir})`);
    }
    await sleep(20);
  }
}
