// Where a pair's sockets live by default: $XDG_RUNTIME_DIR/pvdisplay, else /tmp/pvdisplay-$UID, created 0700.
import type { Command } from 'commander';
import { mkdirSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pvError } from '../shared/errors.js';

export function defaultRuntimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, 'pvdisplay') : `/tmp/pvdisplay-${process.getuid?.() ?? 0}`;
}

export function ensureRuntimeDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Waits for a socket path to appear (a peer process still starting); ENOENT after `timeoutMs`. */
export async function waitForPath(path: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() >= deadline) throw pvError('ENOENT', `${path} does not exist: is the ${what} running?`);
    await sleep(20);
  }
}

/** Runs `stop` once on SIGINT / SIGTERM, then exits: 0, or 128 + the signal with `statusOnSignal`. */
export function onShutdown(stop: () => unknown, o: { statusOnSignal?: boolean } = {}): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    // A server asked to stop has done its job (0); a command whose work was cut short says so (128 + signal).
    const status = o.statusOnSignal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 0;
    Promise.resolve(stop()).finally(() => process.exit(status));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function parseIntOption(value: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw pvError('EINVAL', `${what} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}

/** The options of the commands that ask a running backend about one screen: --runtime-dir, --connector, --domid. */
export function screenOptions(cmd: Command): Command {
  return cmd
    .option('--runtime-dir <dir>', 'where admin.sock is', defaultRuntimeDir())
    .option('--connector <n>', 'connector index', '0')
    .option('--domid <id>', 'frontend domain id (default: the latest frontend)');
}

/** The --connector / --domid pair of the admin-API commands, checked, as request fields. */
export function screenOf(o: { connector: string; domid?: string }): { connector: number; domid?: number } {
  const connector = parseIntOption(o.connector, '--connector', 0, 255);
  return o.domid === undefined ? { connector } : { connector, domid: parseIntOption(o.domid, '--domid', 0, 0xffff) };
}
