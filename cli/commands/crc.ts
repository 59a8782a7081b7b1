// `pvdisplay crc`: the CRC stream of a connector, like IGT's pipe CRC: K consecutive frames as
// "<sequence> 0x<crc32>" lines (one per vblank on a paced connector), read through the admin API.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrcEntry, CrcRead } from '../../backend/scanout/crc-capture.js';
import { pvError } from '../../shared/errors.js';
import { backendCall } from '../admin-client.js';
import { onShutdown, parseIntOption, screenOf, screenOptions } from '../runtime.js';

const POLL_MS = 50;

export function formatCrc(e: CrcEntry): string {
  return `${e.sequence} 0x${e.crc.toString(16).padStart(8, '0')}`;
}

export function register(program: Command): void {
  screenOptions(program.command('crc').description('capture the CRC-32 of K consecutive frames of a connector of the running backend'))
    .option('--frames <k>', 'how many frames', '60')
    .option('--timeout <ms>', 'give up when the frames have not all come by then', '10000')
    .option('--json', 'print one JSON array of {sequence, crc} at the end')
    .action(async (o: { runtimeDir: string; connector: string; domid?: string; frames: string; timeout: string; json?: boolean }) => {
      const screen = screenOf(o);
      const frames = parseIntOption(o.frames, '--frames', 1);
      const deadline = Date.now() + parseIntOption(o.timeout, '--timeout', 1);
      const started = await backendCall<{ domid: number }>(o.runtimeDir, { cmd: 'crc-start', ...screen });
      // Later calls name the domain, so that a frontend connecting meanwhile does not change what is read.
      const mine = { connector: screen.connector, domid: started.domid };
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await backendCall(o.runtimeDir, { cmd: 'crc-stop', ...mine }).catch(() => undefined);
      };
      const got: CrcEntry[] = [];
      // Interrupted, the frames captured so far are still the user's: printed as they came, or as JSON now.
      onShutdown(async () => {
        await stop();
        if (o.json) process.stdout.write(JSON.stringify(got) + '\n');
      }, { statusOnSignal: true });
      // JSON comes only at the end, so say on stderr that the capture runs and how to end it early.
      if (o.json) process.stderr.write(`capturing ${frames} frames of connector ${mine.connector} (domain ${mine.domid}); Ctrl-C prints those captured so far\n`);
      try {
        while (got.length < frames) {
          const read = await backendCall<CrcRead>(o.runtimeDir, { cmd: 'crc-read', ...mine, max: frames - got.length });
          if (!o.json) for (const e of read.entries) process.stdout.write(formatCrc(e) + '\n');
          got.push(...read.entries);
          if (got.length >= frames) break;
          if (read.overflowed) throw pvError('EOVERFLOW', `the capture overflowed after ${got.length} frames`);
          if (read.ended) throw pvError('ENODEV', `the connector went away after ${got.length} of ${frames} frames`);
          if (Date.now() > deadline) throw pvError('ETIMEDOUT', `${got.length} of ${frames} frames within --timeout (does the connector show anything?)`);
          await sleep(POLL_MS);
        }
      } finally {
        await stop();
      }
      if (o.json) process.stdout.write(JSON.stringify(got) + '\n');
    });
}
