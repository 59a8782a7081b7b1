// Starts real `pvdisplay` processes (the built CLI) and collects their output: for tests, benchmarks and tools
// that pair a backend with a frontend in a throwaway runtime dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { readLines } from './child-lines.js';
import { NODE_FLAGS } from './node-flags.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The package root, from source (cli/) or from the build (dist/cli/). */
function packageRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
}

export const ROOT = packageRoot();
export const CLI = join(ROOT, 'dist/cli/main.js');

export interface Proc {
  child: ChildProcess;
  /** Every line printed, stdout and stderr interleaved as they came (with `maxLines`, the first and the latest). */
  lines: string[];
  /** The lines of stdout alone (what a pipe after the command would read). */
  stdout: string[];
  /** Resolves with the first output line matching `re` (already printed or to come). */
  waitLine(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `detached` puts the process in a process group of its own (as a shell's job is), so it can be signalled as one.
 * `nodeArgs` go to node itself after NODE_FLAGS, before the CLI (e.g. a profiler's flags). `maxLines` bounds what
 * `lines` and `stdout` keep: the first half of it (where a process says where it listens) and the latest lines. A
 * long fuzz run makes its processes log without end; kept whole, that was the fuzzer's own leak.
 */
export function run(args: string[], env: NodeJS.ProcessEnv = {}, o: { detached?: boolean; nodeArgs?: string[]; maxLines?: number } = {}): Proc {
  const child = spawn(process.execPath, [...NODE_FLAGS, ...(o.nodeArgs ?? []), CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: o.detached ?? false });
  return procOf(child, o.maxLines);
}

/** Any child with piped stdout and stderr as a Proc: its lines as they come, its exit once they are all read. */
export function procOf(child: ChildProcess, maxLines?: number): Proc {
  const lines: string[] = [];
  const stdout: string[] = [];
  const watchers: { re: RegExp; resolve: (l: string) => void }[] = [];
  const drained = readLines(child, (line, fromStdout) => {
    keepLine(lines, line, maxLines);
    if (fromStdout) keepLine(stdout, line, maxLines);
    for (const w of [...watchers]) if (w.re.test(line)) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exit = Promise.all([once(child, 'exit'), drained]).then(([[code, signal]]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    lines,
    stdout,
    waitLine(re, timeoutMs = 15_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${lines.join('\n')}`)), timeoutMs);
        watchers.push({ re, resolve: (l) => (clearTimeout(t), res(l)) });
        void exit.then((e) => rej(new Error(`process exited (${e.code ?? e.signal}) before printing ${re}; output:\n${lines.join('\n')}`)));
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    exited: () => exit,
  };
}

/** Appends `line`; past `max`, drops the oldest line after the first half (which is kept for good). */
function keepLine(lines: string[], line: string, max: number | undefined): void {
  lines.push(line);
  if (max !== undefined && lines.length > max) lines.splice(Math.floor(max / 2), 1);
}

export async function waitFor(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await sleep(10);
  }
}

export interface Pair {
  dir: string;
  card: string;
  admin: string;
  backend: Proc;
  frontend: Proc;
  stop(): Promise<void>;
}

export interface PairOptions {
  connectors?: string;
  unpaced?: boolean;
  backendVersions?: string;
  frontendVersions?: string;
  crcLog?: boolean;
  backendArgs?: string[];
  frontendArgs?: string[];
  /** Extra environment for both processes. */
  env?: NodeJS.ProcessEnv;
  /** Flags for node itself in both processes (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Bounds the lines kept of each process's output (see run). */
  maxLines?: number;
}

/** A backend and a frontend in a fresh runtime dir, up to the point where dri/card0 serves. */
export async function startPair(o: PairOptions = {}): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'pvd-test-'));
  const backend = run([
    'backend',
    '--runtime-dir', dir,
    '--connectors', o.connectors ?? '640x480',
    '--versions', o.backendVersions ?? '1,2',
    ...(o.unpaced ? ['--unpaced'] : []),
    ...(o.crcLog ? ['--crc-log'] : []),
    ...(o.backendArgs ?? []),
  ], o.env, { nodeArgs: o.nodeArgs, maxLines: o.maxLines });
  await backend.waitLine(/backend listening/);
  const frontend = run(['frontend', '--runtime-dir', dir, '--versions', o.frontendVersions ?? '1,2', ...(o.frontendArgs ?? [])], o.env, { nodeArgs: o.nodeArgs, maxLines: o.maxLines });
  try {
    await frontend.waitLine(/frontend ready/);
  } catch (e) {
    // A frontend that never got ready must not leave its backend running.
    await frontend.stop();
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    card: join(dir, 'dri', 'card0'),
    admin: join(dir, 'admin.sock'),
    backend,
    frontend,
    async stop() {
      await frontend.stop();
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RemotePair extends Pair {
  /** The backend's own runtime dir (the pair's `dir` is the frontend's, where dri/ is). */
  backendDir: string;
  /** Where the backend listens for remote frontends, and its token. */
  url: string;
  token: string;
}

/**
 * A backend listening on ws://127.0.0.1 (or `listen`) and a frontend in another runtime dir that reaches it only
 * over the network, at `route(url)` when given (a proxy in between), up to the point where dri/card0 serves.
 */
export async function startRemotePair(o: PairOptions & { listen?: string; route?: (url: string) => Promise<string> | string } = {}): Promise<RemotePair> {
  const backendDir = mkdtempSync(join(tmpdir(), 'pvd-remote-be-'));
  const dir = mkdtempSync(join(tmpdir(), 'pvd-remote-fe-'));
  const backend = run([
    'backend',
    '--runtime-dir', backendDir,
    '--connectors', o.connectors ?? '640x480',
    '--listen', o.listen ?? 'ws://127.0.0.1:0',
    ...(o.unpaced ? ['--unpaced'] : []),
    ...(o.crcLog ? ['--crc-log'] : []),
    ...(o.backendArgs ?? []),
  ]);
  let frontend: Proc | undefined;
  const stop = async () => {
    await frontend?.stop();
    await backend.stop();
    for (const d of [dir, backendDir]) rmSync(d, { recursive: true, force: true });
  };
  try {
    const url = /remote frontends: (\S+)/.exec(await backend.waitLine(/remote frontends:/))![1]!;
    const token = /token: (\S+)/.exec(await backend.waitLine(/^token:/))![1]!;
    await backend.waitLine(/backend listening/);
    frontend = run(['frontend', '--runtime-dir', dir, '--backend', o.route ? await o.route(url) : url, ...(o.frontendArgs ?? [])], { PVDISPLAY_TOKEN: token });
    await frontend.waitLine(/frontend ready/);
    return { dir, backendDir, url, token, card: join(dir, 'dri', 'card0'), admin: join(backendDir, 'admin.sock'), backend, frontend, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Open fds of a process, from /proc. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
