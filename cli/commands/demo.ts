// `pvdisplay demo`: the whole pair end to end in three processes (backend, frontend, test-pattern client),
// with their output interleaved and the live viewer on, then a PNG snapshot of what the backend scanned out last.
import type { Command } from 'commander';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { adminCall } from '../admin-client.js';
import type { SnapshotResult } from '../../backend/server.js';
import { describeSnapshot } from './snapshot.js';
import { parseIntOption, waitForPath } from '../runtime.js';
import { pvError } from '../../shared/errors.js';

function start(name: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [process.argv[1]!, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`[${name}] ${line}\n`);
      onLine?.(line);
    });
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
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
      const dir = mkdtempSync(join(tmpdir(), 'pvdisplay-demo-'));
      const children: ChildProcess[] = [];
      let failed = false;
      const cleanup = async () => {
        for (const c of [...children].reverse()) await stop(c);
        rmSync(dir, { recursive: true, force: true });
      };
      process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
      try {
        process.stdout.write(`pvdisplay demo: runtime dir ${dir}, mode ${o.mode}, ${frames} frames, ${o.unpaced ? 'unpaced' : 'paced at 60 Hz'}\n`);
        const backendArgs = ['backend', '--runtime-dir', dir, '--connectors', o.mode, ...(o.unpaced ? ['--unpaced'] : []), ...(o.quietCrc ? [] : ['--crc-log'])];
        if (o.viewer !== false) backendArgs.push('--viewer', o.viewer);
        children.push(start('backend', backendArgs));
        await waitForPath(join(dir, 'admin.sock'), 10_000, 'backend');
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
          once(client, 'exit').then(([code]) => {
            throw pvError('EIO', `the client exited with code ${String(code)} before finishing`);
          }),
        ]);
        const path = resolve(o.snapshot);
        const snap = await adminCall<SnapshotResult>(join(dir, 'admin.sock'), { cmd: 'snapshot', connector: 0, path });
        process.stdout.write(describeSnapshot(snap) + '\n');
      } catch (e) {
        failed = true;
        process.stderr.write(`demo failed: ${(e as Error).message}\n`);
      } finally {
        await cleanup();
      }
      process.exitCode = failed ? 1 : 0;
    });
}
