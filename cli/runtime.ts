// Where a pair's sockets live by default: $XDG_RUNTIME_DIR/pvdisplay, else /tmp/pvdisplay-$UID, created 0700.
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

/** Runs `stop` once on SIGINT / SIGTERM, then exits with `code`. */
export function onShutdown(stop: () => void | Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve(stop()).finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function parseIntOption(value: string, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw pvError('EINVAL', `${what} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}
