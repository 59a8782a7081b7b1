// The video recording: frames piped to an ffmpeg child as raw video in the buffer's own pixel layout (no
// conversion here), encoded at the connector's refresh rate. The geometry is the first frame's; frames of another
// size or format (a modeset mid-recording) are skipped and counted. Only available when ffmpeg is on PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { once } from 'node:events';
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
    private readonly refreshHz: number,
    private readonly ffmpeg: string,
  ) {}

  static create(path: string, refreshHz: number): FfmpegWriter {
    const ffmpeg = findOnPath('ffmpeg');
    if (!ffmpeg) throw pvError('ENOENT', 'ffmpeg is not on PATH: install it for video recordings, or record raw frames');
    return new FfmpegWriter(path, refreshHz, ffmpeg);
  }

  async write(f: RecordedFrame): Promise<void> {
    const geometry = `${f.width}x${f.height}/${f.fourcc}`;
    if (!this.child) this.start(f, geometry);
    else if (geometry !== this.geometry) {
      this.skipped++;
      return;
    }
    const stdin = this.child!.stdin!;
    if (stdin.destroyed) throw pvError('EPIPE', `ffmpeg stopped taking frames: ${this.stderr.trim()}`);
    if (!stdin.write(f.bytes)) await Promise.race([once(stdin, 'drain'), once(stdin, 'close')]);
  }

  async close(): Promise<void> {
    if (!this.child || !this.exited) return;
    this.child.stdin!.end();
    const [code, signal] = await this.exited;
    if (code !== 0) throw pvError('EIO', `ffmpeg exited with ${code ?? signal}: ${this.stderr.trim()}`);
  }

  private start(f: RecordedFrame, geometry: string): void {
    const format = formatByFourcc(f.fourcc);
    const pixFmt = format && PIX_FMT[format.name];
    if (!pixFmt) throw pvError('EINVAL', `no ffmpeg pixel format for 0x${f.fourcc.toString(16)}`);
    this.geometry = geometry;
    const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-s', `${f.width}x${f.height}`];
    // Players want 4:2:0 and even sizes; pad odd ones by a pixel rather than fail.
    args.push('-framerate', String(this.refreshHz), '-i', '-', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p', this.path);
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
