// The video recording: frames piped to an ffmpeg child as raw video in the buffer's own pixel layout (no
// conversion here). Each frame is stamped with the time ffmpeg reads it, which is when the recorder handed it over,
// and the output keeps those stamps (variable frame rate): frames the recorder dropped leave a gap in time instead of
// making the video play fast. The geometry is the first frame's; frames of another size or format (a modeset
// mid-recording) are skipped and counted. Only available when ffmpeg is on PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { delimiter, join } from 'node:path';
import { formatByFourcc } from '../../../protocol/formats.js';
import { pvError } from '../../../shared/errors.js';
import type { FrameWriter, RecordedFrame } from './writer.js';

/** ffmpeg's name for each DRM format's memory layout (DRM formats are little endian). */
const PIX_FMT: Readonly<Record<string, string>> = {
  RGB565: 'rgb565le',
  RGB888: 'bgr24',
  XRGB8888: 'bgr0',
  ARGB8888: 'bgra',
  XRGB4444: 'rgb444le',
  ARGB4444: 'rgb444le',
  XRGB1555: 'rgb555le',
  ARGB1555: 'rgb555le',
  YUYV: 'yuyv422',
};

const STDERR_KEEP = 4096;

/** The executable's path when `name` is on PATH. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

export class FfmpegWriter implements FrameWriter {
  private child: ChildProcess | undefined;
  private exited: Promise<[number | null, NodeJS.Signals | null]> | undefined;
  private geometry = '';
  private stderr = '';
  skipped = 0;

  constructor(
    readonly path: string,
    private readonly ffmpeg: string,
  ) {}

  static create(path: string): FfmpegWriter {
    const ffmpeg = findOnPath('ffmpeg');
    if (!ffmpeg) throw pvError('ENOENT', 'ffmpeg is not on PATH: install it for video recordings, or record raw frames');
    return new FfmpegWriter(path, ffmpeg);
  }

  async write(f: RecordedFrame): Promise<void> {
    const geometry = `${f.width}x${f.height}/${f.fourcc}`;
    if (!this.child) this.start(f, geometry);
    else if (geometry !== this.geometry) {
      this.skipped++;
      return;
    }
    const stdin = this.child!.stdin!;
    if (stdin.destroyed || !(stdin.write(f.bytes) || (await drained(stdin)))) throw await this.failure();
  }

  async close(): Promise<number> {
    if (!this.child || !this.exited) return 0;
    this.child.stdin!.end();
    const [code, signal] = await this.exited;
    if (code !== 0) throw pvError('EIO', `ffmpeg exited with ${code ?? signal}: ${this.stderr.trim()}`);
    return statSync(this.path).size;
  }

  /** ffmpeg stopped taking frames: wait for it to end, so that its own message says why. */
  private async failure(): Promise<Error> {
    const [code, signal] = await this.exited!;
    return pvError('EIO', `ffmpeg stopped taking frames (exit ${code ?? signal ?? 'unknown'}): ${this.stderr.trim() || 'no message'}`);
  }

  private start(f: RecordedFrame, geometry: string): void {
    const format = formatByFourcc(f.fourcc);
    const pixFmt = format && PIX_FMT[format.name];
    if (!pixFmt) throw pvError('EINVAL', `no ffmpeg pixel format for 0x${f.fourcc.toString(16)}`);
    this.geometry = geometry;
    // The caller decided about an existing file already (-y only stops ffmpeg from asking on its stdin).
    const args = ['-hide_banner', '-loglevel', 'error', '-y', '-use_wallclock_as_timestamps', '1', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${f.width}x${f.height}`];
    // Players want 4:2:0 and even sizes; pad odd ones by a pixel rather than fail.
    args.push('-i', '-', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p', '-fps_mode', 'vfr', this.path);
    const child = spawn(this.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    // A child that failed to start emits 'error' and maybe no 'exit'; either settles the recording.
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve([code, signal]));
      child.once('error', (e) => {
        this.stderr += e.message;
        resolve([null, null]);
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-STDERR_KEEP)));
    // A dead ffmpeg shows up as a failed write; the pipe's own error must not go unhandled.
    child.stdin!.on('error', () => undefined);
  }
}

/** Waits until a backed-up stream takes more (true) or closes (false), leaving no listener behind either way. */
function drained(stream: Writable): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}
