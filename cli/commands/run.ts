// `pvdisplay run [--card N] [--runtime-dir DIR] -- PROGRAM [ARGS...]`: runs an unmodified, dynamically linked DRM
// program so that, for it and its children, /dev/dri/cardN is the frontend's device: the LD_PRELOAD interposer
// (build/Release/libpvdisplay_preload.so) turns its opens, ioctls, mmaps and reads of the card into device-node
// requests, and a per-run fake /dev/dri + sysfs (cli/run/fake-root.ts) lets libdrm and libudev find the card.
// stdio is inherited, SIGINT / SIGTERM / SIGHUP are passed on, and the exit status is the program's (128 + signal
// number when a signal ended it).
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ROOT } from '../processes.js';
import { pvError } from '../../shared/errors.js';
import { resolveCard } from '../live-card.js';
import { createFakeRoot, removeFakeRoot } from '../run/fake-root.js';
import { defaultRuntimeDir, parseIntOption } from '../runtime.js';

export const PRELOAD = join(ROOT, 'build', 'Release', 'libpvdisplay_preload.so');

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface RunOptions {
  runtimeDir: string;
  card?: string;
}

/** The environment the contract with the interposer names (docs/interposer.md). */
export function runEnv(runtimeDir: string, fakeRoot: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    LD_PRELOAD: [PRELOAD, base.LD_PRELOAD].filter(Boolean).join(':'),
    PVDISPLAY_RUNTIME_DIR: runtimeDir,
    PVDISPLAY_FAKE_ROOT: fakeRoot,
  };
}

async function runProgram(argv: string[], o: RunOptions): Promise<number> {
  if (!existsSync(PRELOAD)) {
    throw pvError('ENOENT', `the interposer ${PRELOAD} was not built: install libdrm-dev (it needs the kernel's drm.h) and run npm rebuild`);
  }
  const runtimeDir = resolve(o.runtimeDir);
  const name = o.card === undefined ? undefined : `card${parseIntOption(o.card, '--card', 0, 63)}`;
  const card = await resolveCard(runtimeDir, name);
  const fakeRoot = createFakeRoot(runtimeDir, [Number(basename(card).slice(4))]);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env: runEnv(runtimeDir, fakeRoot) });
    const pass = (sig: NodeJS.Signals) => () => void child.kill(sig);
    const handlers = FORWARDED.map((sig) => [sig, pass(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      return await new Promise<number>((res, rej) => {
        child.once('error', (e: NodeJS.ErrnoException) => rej(pvError(e.code === 'ENOENT' ? 'ENOENT' : 'EINVAL', `cannot run ${argv[0]}: ${e.message}`)));
        child.once('exit', (code, signal) => res(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
      });
    } finally {
      for (const [sig, h] of handlers) process.off(sig, h);
    }
  } finally {
    removeFakeRoot(fakeRoot);
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run an unmodified DRM program (modetest, drm_info, kmscube...) on the frontend\'s device as /dev/dri/cardN')
    .usage('[--card N] [--runtime-dir DIR] -- PROGRAM [ARGS...]')
    .option('--runtime-dir <dir>', 'where dri/ is', defaultRuntimeDir())
    .option('--card <n>', 'which dri/cardN (default: the live card, the highest-numbered one the frontend serves)')
    .argument('<program>', 'the program to run (found on PATH)')
    .argument('[args...]', 'its arguments')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nThe program sees the card as /dev/dri/cardN (a character device 226:N on a "platform" bus) through an\n' +
        'LD_PRELOAD library; statically linked programs and programs that issue raw syscalls are not covered.\n' +
        'Exit status: the program\'s, or 128 + the signal number that ended it.\n\n' +
        'Examples:\n  pvdisplay run -- drm_info\n  pvdisplay run -- modetest -M pvdisplay -s 26@23:640x480 -v\n',
    )
    .action(async (prog: string, args: string[], o: RunOptions) => {
      process.exitCode = await runProgram([prog, ...args], o);
    });
}
