// Where a pair's sockets live by default: $XDG_RUNTIME_DIR/pvdisplay, else /tmp/pvdisplay-$UID, created 0700.
import type { Command } from 'commander';
import { existsSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pvError } from '../shared/errors.js';

export function defaultRuntimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, 'pvdisplay') : `/tmp/pvdisplay-${process.getuid?.() ?? 0}`;
}

/**
 * Creates the runtime dir 0700 (its parent must exist), or checks the one there, as XDG_RUNTIME_DIR rules and ssh
 * do: a real directory (not a symlink) owned by this user with no access for group or others, since whoever can
 * reach its sockets can drive the display. Anything else fails with a message saying what is wrong.
 */
export function ensureRuntimeDir(dir: string): string {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code !== 'EEXIST') throw pvError(code, `cannot create the runtime dir ${dir}: ${(e as Error).message}`);
  }
  checkOwned(dir, 'runtime dir', (st) => st.isDirectory());
  return dir;
}

/** Refuses a path that is not what `kind` says, not owned by this user, or open to group or others. */
function checkOwned(path: string, what: string, kind: (st: Stats) => boolean): void {
  const st = lstatSync(path);
  if (!kind(st)) throw pvError('ENOTDIR', `${what} ${path} is not the expected kind of file (a symlink or another type)`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw pvError('EPERM', `${what} ${path} is owned by uid ${st.uid}, not by this user (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) throw pvError('EPERM', `${what} ${path} has mode 0${(st.mode & 0o777).toString(8)}: group and others must have no access (chmod 700)`);
}

/** Waits for a socket path to appear (a peer process still starting); ENOENT after `timeoutMs`. Its dir is checked as above. */
export async function waitForPath(path: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() >= deadline) throw pvError('ENOENT', `${path} does not exist: is the ${what} running?`);
    await sleep(20);
  }
  checkOwned(dirname(path), 'runtime dir', (st) => st.isDirectory());
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
