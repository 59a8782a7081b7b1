// `pvdisplay demo`: the whole pair end to end in three processes (backend, frontend, test-pattern client),
// with their output interleaved and the live viewer on, then a PNG snapshot of what the backend scanned out last.
// SIGINT (Ctrl-C) or SIGTERM ends it early the same way: snapshot of what is shown, every process stopped, the
// runtime dir removed, exit 128 + the signal's number. The children run in their own process group so that a
// terminal's Ctrl-C reaches only the demo, which stops them in order (client, frontend, backend) after the snapshot.
import type { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { readLines } from '../child-lines.js';
import { NODE_FLAGS } from '../node-flags.js';
import { adminCall } from '../admin-client.js';
import type { SnapshotResult } from '../../backend/server.js';
import { describeSnapshot } from './snapshot.js';
import { parseIntOption, waitForPath } from '../runtime.js';
import { pvError } from '../../shared/errors.js';
import { parseConnectors } from './backend.js';

/** Rejects when `child` exits before `ready`, with the last line it printed (its own error message). */
function exitedEarly(name: string, child: ChildProcess, lastLine: () => string | undefined): Promise<never> {
  return once(child, 'exit').then(([code, signal]) => {
    throw pvError('EIO', `the ${name} exited (${String(code ?? signal)}) before it was ready: ${lastLine() ?? 'no output'}`);
  });
}

/** Per child: resolves once all it printed has been relayed (its pipes can still hold lines at its exit). */
const relayed = new Map<ChildProcess, Promise<unknown>>();

function start(name: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [...NODE_FLAGS, process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  relayed.set(
    child,
    readLines(child, (line) => {
      process.stdout.write(`[${name}] ${line}\n`);
      onLine?.(line);
    }),
  );
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await relayed.get(child);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run a backend, a frontend and a test-pattern client end to end, then snapshot the screen')
    .option('--frames <n>', 'frames the client flips', '120')
    .option('--mode <WxH>', 'the connector resolution', '1280x720')
    .option('--unpaced', 'frame done at once instead of at 60 Hz vblanks')
    .option('--snapshot <file.png>', 'where to write the PNG snapshot', 'pvdisplay-snapshot.png')
    .option('--quiet-crc', 'do not print the CRC of every frame')
    .option('--viewer <[host:]port>', 'where the live viewer listens (its URL is printed)', '127.0.0.1:0')
    .option('--no-viewer', 'run without the live viewer')
    .action(async (o: { frames: string; mode: string; unpaced?: boolean; snapshot: string; quietCrc?: boolean; viewer: string | false }) => {
      const frames = parseIntOption(o.frames, '--frames', 1);
      if (!/^\d+x\d+$/.test(o.mode)) throw pvError('EINVAL', `--mode must be WxH, got "${o.mode}"`);
      parseConnectors(o.mode); // the backend's own limits, so that a bad mode fails here with its message
      const dir = mkdtempSync(join(tmpdir(), 'pvdisplay-demo-'));
      const children: ChildProcess[] = [];
      let failed = false;
      const cleanup = async () => {
        for (const c of [...children].reverse()) await stop(c);
        rmSync(dir, { recursive: true, force: true });
      };
      let signalled: { name: NodeJS.Signals; status: number } | undefined;
      let interrupt: () => void = () => undefined;
      const interrupted = new Promise<void>((res) => (interrupt = res));
      for (const [name, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
        process.on(name, () => {
          if (signalled) return; // a second signal while stopping changes nothing
          signalled = { name, status };
          process.stdout.write(`demo: ${name}, stopping\n`);
          interrupt();
        });
      }
      try {
        process.stdout.write(`pvdisplay demo: runtime dir ${dir}, mode ${o.mode}, ${frames} frames, ${o.unpaced ? 'unpaced' : 'paced at 60 Hz'}\n`);
        const backendArgs = ['backend', '--runtime-dir', dir, '--connectors', o.mode, ...(o.unpaced ? ['--unpaced'] : []), ...(o.quietCrc ? [] : ['--crc-log'])];
        if (o.viewer !== false) backendArgs.push('--viewer', o.viewer);
        let backendSaid: string | undefined;
        const backend = start('backend', backendArgs, (line) => (backendSaid = line));
        children.push(backend);
        const backendExit = exitedEarly('backend', backend, () => backendSaid);
        backendExit.catch(() => undefined); // only the race below reports it
        await Promise.race([waitForPath(join(dir, 'admin.sock'), 10_000, 'backend'), backendExit, interrupted]);
        if (signalled) throw pvError('EINTR', `${signalled.name} before the backend was up: nothing to snapshot`);
        children.push(start('frontend', ['frontend', '--runtime-dir', dir]));
        // The client holds its last frame on screen until stopped, so the snapshot shows the pattern.
        let finished: () => void = () => undefined;
        const done = new Promise<void>((res) => (finished = res));
        const client = start('client', ['pattern', '--runtime-dir', dir, '--frames', String(frames), '--hold'], (line) => {
          if (line.startsWith('done:')) finished();
        });
        children.push(client);
        await Promise.race([
          done,
          interrupted,
          once(client, 'exit').then(([code]) => {
            if (!signalled) throw pvError('EIO', `the client exited with code ${String(code)} before finishing`);
          }),
        ]);
        // The CRC of the client's last frame is computed after its frame done: status answers once every frame
        // scanned out has its CRC in, so by then the backend has printed each one's line.
        await adminCall(join(dir, 'admin.sock'), { cmd: 'status' });
        const path = resolve(o.snapshot);
        const snap = await adminCall<SnapshotResult>(join(dir, 'admin.sock'), { cmd: 'snapshot', connector: 0, path });
        process.stdout.write(describeSnapshot(snap) + '\n');
      } catch (e) {
        failed = true;
        process.stderr.write(`demo failed: ${(e as Error).message}\n`);
      } finally {
        await cleanup();
      }
      process.exitCode = signalled ? signalled.status : failed ? 1 : 0;
    });
}
