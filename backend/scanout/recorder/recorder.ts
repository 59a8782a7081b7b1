// Records every frame one connector scans out. At scanout the visible area is copied (the client may draw over
// the buffer once its flip completes) into a bounded queue of reusable buffers; a single async loop hands the queue
// to the writer. When the writer falls behind and the queue is full, new frames are dropped and counted: the
// scanout never waits for the disk or for ffmpeg. Holding the pipeline gives one frame per vblank when paced. With a
// frame limit the recorder stops taking frames at the vblank that reaches it, so a recording of N frames has N.
import { performance } from 'node:perf_hooks';
import { asErrno, type ErrnoLike } from '../../../shared/errors.js';
import { logger } from '../../../shared/log.js';
import { packVisible, packedSize } from '../../../shared/pixels/pack.js';
import type { Pipeline, ScannedFrame } from '../../display/pipeline.js';
import type { FrameWriter, RecordedFrame } from './writer.js';

const log = logger('recorder');

/** At most this many bytes of frames wait for the writer, the one it is writing included (but always room for two). */
export const MAX_QUEUED_BYTES = 128 * 1024 * 1024;

export interface RecorderStats {
  path: string;
  connector: number;
  /** Frames handed to the writer. */
  written: number;
  /** Frames dropped because the writer was behind. */
  dropped: number;
  /** Bytes of frames handed to the writer. */
  bytes: number;
  /** What the recording takes on disk, once it is finished (null before). */
  bytesOnDisk: number | null;
  /** The frame limit (written + dropped), or null for none. */
  frames: number | null;
  /** The writer failed (disk full, ffmpeg died): the recording stopped there. */
  error: { code: string; errno: number; message: string } | null;
  recording: boolean;
}

export class Recorder {
  private readonly queue: RecordedFrame[] = [];
  private readonly pool: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private readonly started = performance.now();
  private readonly release: () => void;
  private readonly onFrame = (f: ScannedFrame): void => this.capture(f);
  private readonly onClosed = (): void => void this.stop();
  private stopping: Promise<RecorderStats> | undefined;
  private written = 0;
  private dropped = 0;
  private bytes = 0;
  private bytesOnDisk: number | null = null;
  /** Frames seen since the start, queued or dropped. */
  private taken = 0;
  private full = false;
  private detached = false;
  private error: ErrnoLike | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly writer: FrameWriter,
    private readonly o: { maxFrames?: number; maxQueuedBytes?: number } = {},
  ) {
    this.release = pipeline.hold({ crc: true });
    pipeline.on('frame', this.onFrame);
    pipeline.once('closed', this.onClosed);
  }

  stats(): RecorderStats {
    const error = this.error ? { code: this.error.code, errno: this.error.errno, message: this.error.message } : null;
    return {
      path: this.writer.path,
      connector: this.pipeline.index,
      written: this.written,
      dropped: this.dropped,
      bytes: this.bytes,
      bytesOnDisk: this.bytesOnDisk,
      frames: this.o.maxFrames ?? null,
      error,
      recording: !this.stopping && !this.error && !this.full,
    };
  }

  /** Stops taking frames, lets the writer finish the queue and closes it; the final stats. */
  stop(): Promise<RecorderStats> {
    this.stopping ??= (async () => {
      this.detach();
      await this.writing;
      try {
        this.bytesOnDisk = await this.writer.close();
      } catch (e) {
        this.error ??= asErrno(e);
      }
      return this.stats();
    })();
    return this.stopping;
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.release();
    this.pipeline.off('frame', this.onFrame);
    this.pipeline.off('closed', this.onClosed);
  }

  private capture(f: ScannedFrame): void {
    this.taken++;
    if (this.o.maxFrames !== undefined && this.taken >= this.o.maxFrames) {
      // The limit is reached at this vblank: take no more frames (the queue still goes to the writer).
      this.full = true;
      this.detach();
    }
    const size = packedSize(f.view);
    if (this.queuedBytes + size > Math.max(this.o.maxQueuedBytes ?? MAX_QUEUED_BYTES, 2 * size)) {
      this.dropped++;
      return;
    }
    let bytes = this.pool.pop();
    if (bytes?.length !== size) bytes = new Uint8Array(size); // a modeset changed the size: the pool starts over
    packVisible(f.view, bytes);
    this.queue.push({ sequence: f.sequence, timeMs: performance.now() - this.started, crc: f.crc ?? 0, width: f.view.width, height: f.view.height, fourcc: f.view.fourcc, bytes });
    this.queuedBytes += size;
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    for (let f = this.queue.shift(); f; f = this.queue.shift()) {
      try {
        await this.writer.write(f);
        this.written++;
        this.bytes += f.bytes.length;
      } catch (e) {
        this.error = asErrno(e);
        log.warn(`recording ${this.writer.path} failed: ${this.error.message}`);
        this.queue.length = 0;
        this.detach();
      }
      this.queuedBytes -= f.bytes.length;
      this.pool.push(f.bytes);
    }
    this.queuedBytes = 0;
    this.writing = undefined;
  }
}
