// The recorder and the CRC capture against a pipeline whose frames the test emits: frames are copied at scanout,
// a writer that falls behind costs dropped frames (never a blocked scanout), a failing writer stops the recording
// with its errno, and a CRC capture stops at an overflow or when the pipeline goes away, never leaving a gap.
import { describe, expect, it, vi } from 'vitest';
import { XRGB8888 } from '../../protocol/formats.js';
import { pvError } from '../../shared/errors.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import { Pipeline } from '../../backend/display/pipeline.js';
import type { Fb } from '../../backend/display/framebuffer.js';
import { CrcCapture } from '../../backend/scanout/crc-capture.js';
import { FfmpegWriter } from '../../backend/scanout/recorder/ffmpeg-writer.js';
import { FFMPEG, wanted } from '../helpers/requires.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Recorder } from '../../backend/scanout/recorder/recorder.js';
import type { FrameWriter, RecordedFrame } from '../../backend/scanout/recorder/writer.js';

const W = 16;
const H = 8;
const FRAME_BYTES = W * H * 4;

function setup(): { pipe: Pipeline; view: FrameView; emit: (sequence: number, fill: number) => void } {
  const pipe = new Pipeline(0, { width: W, height: H, refreshHz: 60, uniqueId: 't' }, { paced: false, crc: false }, () => undefined);
  // Rows padded to 80 bytes, so the recorder has to pack them.
  const view: FrameView = { data: new Uint8Array(80 * H), offset: 0, pitch: 80, width: W, height: H, x: 0, y: 0, fourcc: XRGB8888.fourcc };
  const emit = (sequence: number, fill: number) => {
    view.data.fill(fill);
    pipe.emit('frame', { connector: 0, sequence, crc: sequence * 10, view, fb: undefined as unknown as Fb });
  };
  return { pipe, view, emit };
}

/** A writer whose writes complete only when the test says so. */
class GatedWriter implements FrameWriter {
  readonly path = '/dev/null';
  readonly frames: RecordedFrame[] = [];
  private gates: (() => void)[] = [];
  fail: Error | undefined;

  write(f: RecordedFrame): Promise<void> {
    if (this.fail) return Promise.reject(this.fail);
    this.frames.push({ ...f, bytes: f.bytes.slice() });
    return new Promise((resolve) => this.gates.push(resolve));
  }

  open(): void {
    for (const g of this.gates.splice(0)) g();
  }

  async close(): Promise<number> {
    return this.frames.reduce((n, f) => n + f.bytes.length, 0);
  }
}

async function settle(writer: GatedWriter, until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) {
    writer.open();
    await new Promise((r) => setImmediate(r));
  }
}

describe('Recorder', () => {
  it('copies each frame at scanout and drops what does not fit while the writer is behind', async () => {
    const { pipe, emit } = setup();
    const writer = new GatedWriter();
    const rec = new Recorder(pipe, writer, { maxQueuedBytes: 3 * FRAME_BYTES });
    // Three frames fit (the one the writer holds counts), the other seven are dropped.
    for (let n = 1; n <= 10; n++) emit(n, n);
    expect(rec.stats()).toMatchObject({ written: 0, dropped: 7, recording: true });
    await settle(writer, () => rec.stats().written === 3);
    expect(writer.frames.map((f) => [f.sequence, f.crc, f.bytes.length, f.bytes[0], f.bytes[FRAME_BYTES - 1]])).toEqual(
      [1, 2, 3].map((n) => [n, n * 10, FRAME_BYTES, n, n]),
    );
    emit(11, 11);
    await settle(writer, () => rec.stats().written === 4);
    const final = await rec.stop();
    expect(final).toMatchObject({ written: 4, dropped: 7, bytes: 4 * FRAME_BYTES, bytesOnDisk: 4 * FRAME_BYTES, error: null, recording: false });
    emit(12, 12);
    expect(writer.frames.length).toBe(4);
  });

  it('with a frame limit it takes exactly that many frames, then stops taking them', async () => {
    const { pipe, emit } = setup();
    const writer = new GatedWriter();
    const rec = new Recorder(pipe, writer, { maxFrames: 5 });
    for (let n = 1; n <= 8; n++) emit(n, n);
    expect(rec.stats()).toMatchObject({ recording: false, frames: 5 });
    expect(pipe.listenerCount('frame')).toBe(0);
    await settle(writer, () => rec.stats().written === 5);
    expect((await rec.stop()).written).toBe(5);
    expect(writer.frames.map((f) => f.sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a failing writer stops the recording with its errno, and says so in the log', async () => {
    const { pipe, emit } = setup();
    const writer = new GatedWriter();
    writer.fail = pvError('ENOSPC', 'disk full');
    const rec = new Recorder(pipe, writer);
    const logged: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (logged.push(String(chunk)), true));
    try {
      emit(1, 1);
      await new Promise((r) => setImmediate(r));
    } finally {
      spy.mockRestore();
    }
    expect(logged).toEqual(['[recorder] warn: recording /dev/null failed: ENOSPC: disk full\n']);
    expect(rec.stats()).toMatchObject({ recording: false, error: { code: 'ENOSPC', errno: 28 } });
    expect(pipe.listenerCount('frame')).toBe(0);
    expect((await rec.stop()).error).toMatchObject({ code: 'ENOSPC' });
  });
});

describe('FfmpegWriter', () => {
  const withFfmpeg = it.runIf(wanted(FFMPEG, 'video recording timestamps'));
  withFfmpeg('frames keep their time: four frames half a second apart play for more than a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pvd-vfr-'));
    try {
      const writer = FfmpegWriter.create(join(dir, 'v.mp4'));
      const bytes = new Uint8Array(64 * 48 * 4);
      for (let i = 0; i < 4; i++) {
        if (i) await new Promise((r) => setTimeout(r, 500));
        bytes.fill(i * 60);
        await writer.write({ sequence: i, timeMs: i * 500, crc: 0, width: 64, height: 48, fourcc: XRGB8888.fourcc, bytes });
      }
      expect(await writer.close()).toBe(statSync(join(dir, 'v.mp4')).size);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(dir, 'v.mp4')], { encoding: 'utf8' });
      // At a constant 60 fps the same four frames would last 0.067 s (ffmpeg's start may shorten the first gap).
      expect(Number(probe.stdout.trim())).toBeGreaterThanOrEqual(1.0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });


  it('without ffmpeg on PATH a video recording is a clear ENOENT', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => FfmpegWriter.create('/tmp/x.mp4')).toThrow(expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/ffmpeg is not on PATH/) }));
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('CrcCapture', () => {
  it('drains in order, stops at an overflow instead of skipping, and ends with its pipeline', () => {
    const { pipe, emit } = setup();
    const cap = new CrcCapture(pipe, 3);
    for (let n = 1; n <= 5; n++) emit(n, 0);
    expect(cap.read(2)).toEqual({ entries: [{ sequence: 1, crc: 10 }, { sequence: 2, crc: 20 }], overflowed: true, ended: false });
    emit(6, 0);
    expect(cap.read().entries).toEqual([{ sequence: 3, crc: 30 }]);
    const other = new CrcCapture(pipe);
    emit(7, 0);
    pipe.close();
    expect(other.read()).toEqual({ entries: [{ sequence: 7, crc: 70 }], overflowed: false, ended: true });
    expect(pipe.listenerCount('frame')).toBe(0);
  });
});
