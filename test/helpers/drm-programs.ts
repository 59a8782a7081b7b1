// Running Debian's DRM programs (libdrm-tests, drm-info, kmscube) under `pvdisplay run` for the real-program
// tests. They run wherever the programs and the interposer are there; PVDISPLAY_REQUIRE_DRM_PROGRAMS=1 (as .ci/run
// sets, after installing them) makes a missing one a failure instead of a skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { readLines } from '../../cli/child-lines.js';
import { CLI, type Pair } from '../../cli/processes.js';
import { PRELOAD } from '../../cli/commands/run.js';
import { adminCall } from '../../cli/admin-client.js';

const PROGRAMS = ['/usr/bin/modetest', '/usr/bin/proptest', '/usr/bin/vbltest', '/usr/bin/drm_info', '/usr/bin/kmscube'];

export const drmProgramsWanted = process.env.PVDISPLAY_REQUIRE_DRM_PROGRAMS === '1' || (PROGRAMS.every((p) => existsSync(p)) && existsSync(PRELOAD));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Program {
  child: ChildProcess;
  /** stdout and stderr lines as they come, each tagged. */
  stdout: string[];
  stderr: string[];
  /** Resolves once `count` lines of stdout+stderr match `re` (fails if the program exits first). */
  waitFor(re: RegExp, count?: number, timeoutMs?: number): Promise<string[]>;
  /** A key press: modetest, vbltest and kmscube-like loops stop on a readable stdin. */
  press(): void;
  exited: Promise<Exit>;
  kill(sig?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/** Kills what a failed test left running (a leftover program would stay DRM master for the next one). */
export function killLeftovers(): void {
  for (const c of running) c.kill('SIGTERM'); // run passes it on to the program
  running.clear();
}

/** `pvdisplay run --runtime-dir <pair> -- argv`, stdin a pipe that stays open until press(). */
export function runUnder(pair: Pair, argv: string[], env: NodeJS.ProcessEnv = {}, runArgs: string[] = []): Program {
  const child = spawn(process.execPath, [CLI, 'run', '--runtime-dir', pair.dir, ...runArgs, '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const all: string[] = [];
  const waiters = new Set<() => void>();
  const drained = readLines(child, (l, fromStdout) => {
    (fromStdout ? stdout : stderr).push(l);
    all.push(l);
    for (const w of [...waiters]) w();
  });
  const exited = Promise.all([once(child, 'close'), drained]).then(([[code, signal]]) => ({ code, signal }) as Exit);
  const dump = () => `stdout:\n${stdout.slice(-40).join('\n')}\nstderr:\n${stderr.slice(-40).join('\n')}`;
  return {
    child,
    stdout,
    stderr,
    waitFor(re, count = 1, timeoutMs = 30_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const hits = all.filter((l) => re.test(l));
          if (hits.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          res(hits);
        };
        const timer = setTimeout(() => (waiters.delete(check), rej(new Error(`no ${count} lines matching ${re}\n${dump()}`))), timeoutMs);
        waiters.add(check);
        void exited.then((e) => {
          check();
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            rej(new Error(`exited (${e.code ?? e.signal}) before ${count} lines matching ${re}\n${dump()}`));
          }
        });
        check();
      });
    },
    press: () => child.stdin!.end('\n'),
    exited,
    kill: (sig = 'SIGTERM') => void child.kill(sig),
  };
}

/** Runs to completion; returns the exit and the output. */
export async function runToEnd(pair: Pair, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const p = runUnder(pair, argv, env);
  p.child.stdin!.end();
  const e = await p.exited;
  return { ...e, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

interface ConnectorStatus {
  flips: number;
  frames: number;
  enabled: boolean;
  mode: string | null;
  lastCrc?: number;
}

/** The backend's view of connector `i` of the (only) frontend. */
export async function backendConnector(pair: Pair, i = 0): Promise<ConnectorStatus> {
  const st = await adminCall<{ connectors: ConnectorStatus[] }[]>(pair.admin, { cmd: 'status' });
  return st[0]!.connectors[i]!;
}
