// The recorder and the CRC capture against a pipeline whose frames the test emits: frames are copied at scanout,
// a writer that falls behind costs dropped frames (never a blocked scanout), a failing writer stops the recording
// with its errno, and a CRC capture stops at an overflow or when the pipeline goes away, never leaving a gap.
import { describe, expect, it } from 'vitest';
import { XRGB8888 } from '../../protocol/formats.js';
import { pvError } from '../../shared/errors.js';
import type { FrameView } from '../../shared/pixels/frame.js';
import { Pipeline } from '../../backend/display/pipeline.js';
import type { Fb } from '../../backend/display/framebuffer.js';
import { CrcCapture } from '../../backend/scanout/crc-capture.js';
import { FfmpegWriter } from '../../backend/scanout/recorder/ffmpeg-writer.js';
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

  async close(): Promise<void> {}
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
    const rec = new Recorder(pipe, writer, 3 * FRAME_BYTES);
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
    expect(final).toMatchObject({ written: 4, dropped: 7, bytes: 4 * FRAME_BYTES, error: null, recording: false });
    emit(12, 12);
    expect(writer.frames.length).toBe(4);
  });

  it('a failing writer stops the recording with its errno', async () => {
    const { pipe, emit } = setup();
    const writer = new GatedWriter();
    writer.fail = pvError('ENOSPC', 'disk full');
    const rec = new Recorder(pipe, writer);
    emit(1, 1);
    await new Promise((r) => setImmediate(r));
    expect(rec.stats()).toMatchObject({ recording: false, error: { code: 'ENOSPC', errno: 28 } });
    expect(pipe.listenerCount('frame')).toBe(0);
    expect((await rec.stop()).error).toMatchObject({ code: 'ENOSPC' });
  });
});

describe('FfmpegWriter', () => {
  it('without ffmpeg on PATH a video recording is a clear ENOENT', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => FfmpegWriter.create('/tmp/x.mp4', 60)).toThrow(expect.objectContaining({ code: 'ENOENT', message: expect.stringMatching(/ffmpeg is not on PATH/) }));
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
