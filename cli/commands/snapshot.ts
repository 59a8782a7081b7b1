// `pvdisplay snapshot`: what a connector of a running backend shows now, as a PNG.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { SnapshotResult } from '../../backend/server.js';
import { backendCall } from '../admin-client.js';
import { screenOf, screenOptions } from '../runtime.js';

/** The line `snapshot` and the demo print about a snapshot written. */
export function describeSnapshot(snap: SnapshotResult): string {
  return `snapshot: ${snap.path} (${snap.width}x${snap.height} ${snap.format}, frame ${snap.sequence}, crc 0x${snap.crc.toString(16).padStart(8, '0')})`;
}

export function register(program: Command): void {
  screenOptions(program.command('snapshot').description('write what a connector of the running backend shows now as a PNG'))
    .option('-o, --output <file.png>', 'where to write the PNG', 'pvdisplay-snapshot.png')
    .action(async (o: { runtimeDir: string; connector: string; domid?: string; output: string }) => {
      const snap = await backendCall<SnapshotResult>(o.runtimeDir, { cmd: 'snapshot', ...screenOf(o), path: resolve(o.output) });
      process.stdout.write(describeSnapshot(snap) + '\n');
    });
}
