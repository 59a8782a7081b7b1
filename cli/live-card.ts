// Which device node a command means when none is named: the frontend's live card. After a backend loss the
// zombie's node is gone and the frontend serves the next number (card1, card2, …), so the highest-numbered cardN in
// dri/ that accepts a connection is the one in service; a named card is taken as it is.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as native from '../shared/native/index.js';
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

function accepts(path: string): boolean {
  try {
    native.close(native.connect(path));
    return true;
  } catch {
    return false;
  }
}

/** The path of `name` in runtimeDir/dri, or of the live card; waits up to `waitMs` for one to serve. */
export async function resolveCard(runtimeDir: string, name: string | undefined, waitMs = 0): Promise<string> {
  const dir = join(runtimeDir, 'dri');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = name === undefined ? cardsIn(dir).find((n) => accepts(join(dir, n))) : accepts(join(dir, name)) ? name : undefined;
    if (found) return join(dir, found);
    if (Date.now() >= deadline) {
      const what = name === undefined ? `no device node in ${dir} accepts connections` : `${join(dir, name)} does not accept connections`;
      throw pvError('ENOENT', `${what}: is the frontend running? (pvdisplay frontend --runtime-dir ${runtimeDir})`);
    }
    await sleep(20);
  }
}
