// `pvdisplay record`: records every frame a connector of the running backend scans out, raw (frames.raw +
// index.jsonl in a directory) or as a video through ffmpeg, until --frames or --seconds or Ctrl-C.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecorderStats } from '../../backend/scanout/recorder/recorder.js';
import { pvError } from '../../shared/errors.js';
import { backendCall } from '../admin-client.js';
import { onShutdown, parseIntOption, screenOf, screenOptions } from '../runtime.js';

const POLL_MS = 100;

function parseSeconds(value: string): number {
  const n = /^[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0)) throw pvError('EINVAL', `--seconds must be a number of seconds such as 2 or 0.5, got "${value}"`);
  return n;
}
const VIDEO = /\.(mp4|mkv|webm|mov|avi)$/i;

type Stats = RecorderStats & { domid: number };

export function register(program: Command): void {
  screenOptions(program.command('record').description('record every frame a connector of the running backend scans out (raw with an index, or video via ffmpeg)'))
    .requiredOption('-o, --output <path>', 'a directory for raw frames, or a video file (.mp4, .mkv, .webm, …) for ffmpeg')
    .option('--format <raw|video>', 'default: video for a video file name, raw otherwise')
    .option('--frames <n>', 'stop after this many frames (0: until stopped)', '0')
    .option('--seconds <s>', 'stop after this many seconds, fractions allowed (0: until stopped)', '0')
    .option('--overwrite', 'replace an existing recording')
    .action(async (o: { runtimeDir: string; connector: string; domid?: string; output: string; format?: string; frames: string; seconds: string; overwrite?: boolean }) => {
      const screen = screenOf(o);
      const frames = parseIntOption(o.frames, '--frames');
      const seconds = parseSeconds(o.seconds);
      const format = o.format ?? (VIDEO.test(o.output) ? 'video' : 'raw');
      // The backend stops taking frames at the limit itself, so the recording has exactly that many.
      const start = { cmd: 'record-start', ...screen, path: resolve(o.output), format, frames, overwrite: o.overwrite ?? false };
      const started = await backendCall<Stats>(o.runtimeDir, start);
      const mine = { connector: screen.connector, domid: started.domid };
      process.stdout.write(`recording connector ${screen.connector} of domain ${started.domid} to ${started.path} (${format}); Ctrl-C stops\n`);
      let finished: Promise<Stats> | undefined;
      const finish = (): Promise<Stats> =>
        (finished ??= backendCall<Stats>(o.runtimeDir, { cmd: 'record-stop', ...mine }).then((done) => {
          process.stdout.write(`recorded ${done.written} frames (${done.dropped} dropped, ${done.bytesOnDisk ?? 0} bytes on disk) to ${done.path}\n`);
          return done;
        }));
      onShutdown(finish);
      const deadline = seconds > 0 ? Date.now() + seconds * 1000 : Infinity;
      while (!finished && Date.now() < deadline) {
        await sleep(POLL_MS);
        const all = await backendCall<Stats[]>(o.runtimeDir, { cmd: 'record-status' });
        const now = all.find((r) => r.domid === mine.domid && r.connector === mine.connector);
        if (!now?.recording) break;
      }
      const done = await finish();
      if (done.error) throw pvError(done.error.code, done.error.message);
    });
}
